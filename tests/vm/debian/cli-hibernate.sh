# kjumpctl suspend: refused to an unprivileged user, then as root.
wait_for_kjumpd
setup_target
if setpriv --reuid=tester --regid=tester --init-groups kjumpctl suspend > /tmp/refused 2>&1; then
    cat /tmp/refused
    fail "kjumpctl suspend as an unprivileged user was not refused"
fi
cat /tmp/refused
[ -e /run/kjump-test-pre ] && fail "a refused suspend ran the sleep hooks"
[ "$(busctl get-property org.kjump1 /org/kjump1 org.kjump1.Manager LastResult)" = 's ""' ] ||
    fail "a refused suspend reached kjumpd"
event refused-ok
before_hibernate
kjumpctl suspend || fail "kjumpctl suspend failed"
wait_for_post "kjumpctl suspend"
verify_after_resume
event verified
finish PASS
