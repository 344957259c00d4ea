# ParkHelper=yes: kjumpd boots the helper once and parks it; kjumpd's Test
# and a real hibernation jump into that helper without a boot, and after
# the restore kjumpd parks a new one. First one Test with a helper that
# boots, for the figure to compare with.
wait_for_kjumpd
setup_target
test_jump() {
    event request-test mode=$1 parked=$2
    busctl --timeout=1h call org.kjump1 /org/kjump1 org.kjump1.Manager Test s "$1" > /tmp/test.out 2>&1 ||
        { cat /tmp/test.out; journalctl -b -u kjumpd --no-pager | tail -20; fail "kjumpd's Test $1 failed ($2)"; }
    cat /tmp/test.out
    /kjump-test/workload verify || fail "workload verify failed after Test $1 ($2)"
    event test-done mode=$1 parked=$2
}
parked_count() { journalctl -b -u kjumpd --no-pager | grep -c "The helper kernel is parked" || true; }
/kjump-test/workload setup || fail "workload setup failed"
kjumpctl status | grep -q "^HelperParked *no" || { kjumpctl status; fail "kjumpctl status says a helper is parked without ParkHelper="; }
test_jump test booted
mkdir -p /etc/kjump/kjump.conf.d
printf '[Hibernate]\nParkHelper=yes\n' > /etc/kjump/kjump.conf.d/park.conf
systemctl reload kjumpd.service || fail "systemctl reload kjumpd failed"
[ "$(parked_count)" = 1 ] || { journalctl -b -u kjumpd --no-pager | tail -20; fail "kjumpd did not park the helper"; }
kjumpctl status | grep -q "^HelperParked *yes" || { kjumpctl status; fail "kjumpctl status does not say the helper is parked"; }
event park seconds=$(journalctl -b -u kjumpd --no-pager | sed -n 's/.*booted and back in \([0-9.]*\) s.*/\1/p' | head -n 1)
test_jump test parked
test_jump test-restore parked
[ "$(parked_count)" = 1 ] || fail "kjumpd booted the helper again between parked jumps"
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume
# The helper that restored is another boot: kjumpd parks a new one.
for i in $(seq 600); do
    [ "$(parked_count)" = 2 ] && break
    sleep 0.1
done
[ "$(parked_count)" = 2 ] || { journalctl -b -u kjumpd --no-pager | tail -20; fail "kjumpd did not park a new helper after the restore"; }
test_jump test parked-again
event verified
finish PASS
