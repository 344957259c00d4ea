# kjumpctl suspend: refused to an unprivileged user, then as root.
wait_for_kjumpd
setup_target
if setpriv --reuid=tester --regid=tester --init-groups kjumpctl suspend > /tmp/refused 2>&1; then
    cat /tmp/refused
    fail "kjumpctl suspend as an unprivileged user was not refused"
fi
cat /tmp/refused
grep -q "logind refused hibernation" /tmp/refused || fail "kjumpctl suspend did not go through logind"
# kjumpd itself refuses too, asked directly (polkit: no agent, no session).
if setpriv --reuid=tester --regid=tester --init-groups \
        busctl call org.kjump1 /org/kjump1 org.kjump1.Manager Hibernate b false > /tmp/refused2 2>&1; then
    fail "kjumpd's Hibernate was not refused to an unprivileged user"
fi
cat /tmp/refused2
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
