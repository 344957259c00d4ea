# suspend-then-hibernate with the default delay (2 h); the rig wakes the
# machine at once (QMP system_wakeup), as a user would: the session goes
# on and nothing is written.
wait_for_kjumpd
setup_target
before_hibernate
kjumpctl inspect --json > /tmp/before.json
systemctl suspend-then-hibernate || fail "systemctl suspend-then-hibernate failed"
wait_for_post "systemctl suspend-then-hibernate"
verify_session suspend-then-hibernate
kjumpctl inspect --json > /tmp/after.json
cmp -s /tmp/before.json /tmp/after.json ||
    { cat /tmp/before.json /tmp/after.json; fail "the image target changed although nothing was to be written"; }
kjumpctl status | grep -q "nothing was written" || { kjumpctl status; fail "kjumpd's last result is not the early wake"; }
event verified
finish PASS
