# systemctl hybrid-sleep -> logind -> systemd-hybrid-sleep.service -> kjump:
# the helper commits the image and suspends to RAM; the rig wakes the
# machine (QMP system_wakeup): the helper discards the image and jumps
# back, and the session goes on without a restore.
wait_for_kjumpd
setup_target
[ "$(logind_can HybridSleep)" = 's "yes"' ] ||
    fail "logind's CanHybridSleep is $(logind_can HybridSleep) on a machine with S3 and kjump set up"
before_hibernate
systemctl hybrid-sleep || fail "systemctl hybrid-sleep failed"
wait_for_post "systemctl hybrid-sleep"
verify_session hybrid-sleep
kjumpctl inspect --json > /tmp/inspect.json
grep -q '"state":"invalid","reason":"woken from hybrid sleep"' /tmp/inspect.json ||
    { cat /tmp/inspect.json; fail "after the wake the image is not invalid (woken)"; }
kjumpctl status | grep -q "Woken from hybrid sleep" || { kjumpctl status; fail "kjumpd's last result is not the wake"; }
event verified
finish PASS
