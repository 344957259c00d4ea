# A boot that must not restore: the image must now be in the state
# kjump.expect=STATE[:REASON] names (REASON with _ for spaces), and the boot goes on normally.
. /kjump-test/scenarios/lib.sh
locate_target
expect=$(sed -n 's/.*kjump\.expect=\([^ ]*\).*/\1/p' /proc/cmdline)
state=${expect%%:*}
kjumpctl inspect --json "$TARGET" > /tmp/inspect || fail "kjumpctl inspect failed"
cat /tmp/inspect
grep -q "\"state\":\"$state\"" /tmp/inspect || fail "the image is not $state"
case "$expect" in
*:*)
    reason=$(echo "${expect#*:}" | tr _ ' ')
    grep -q "\"reason\":\"$reason\"" /tmp/inspect || fail "the image's reason is not $reason"
    ;;
esac
event verified
umount /data 2>/dev/null
finish PASS
