# A boot that must not restore: the image is in the state kjump.expect=
# names (STATE or STATE:REASON, REASON with _ for spaces).
wait_for_kjumpd
expect=$(sed -n 's/.*kjump\.expect=\([^ ]*\).*/\1/p' /proc/cmdline)
kjumpctl inspect --json > /tmp/inspect || fail "kjumpctl inspect failed"
cat /tmp/inspect
grep -q "\"state\":\"${expect%%:*}\"" /tmp/inspect || fail "the image is not ${expect%%:*}"
case "$expect" in
*:*) grep -q "\"reason\":\"$(echo "${expect#*:}" | tr _ ' ')\"" /tmp/inspect || fail "the reason is not ${expect#*:}" ;;
esac
[ -e /root/moved-on ] || fail "the file the skipping boot wrote is gone"
event verified
finish PASS
