# ParkHelper=yes: kjumpd boots the helper once and parks it; kjumpd's Test
# and a real hibernation jump into that helper without a boot, and after
# the restore kjumpd parks a new one. First one Test with a helper that
# boots, for the figure to compare with. Last, kjumpd is killed outright:
# its unit must unload the helper it left.
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
# A kjumpd killed outright cannot unload its helper: the unit's
# ExecStopPost= (kjumpd --release-stale) must, or the parked helper stays
# in the kexec slot with its window pinned and a mailbox page kjumpd no
# longer owns.
[ "$(cat /sys/kernel/kexec_loaded)" = 1 ] || fail "no helper loaded before kjumpd is killed"
[ -e /run/kjump/helper-loaded ] || fail "kjumpd did not record that its helper is loaded"
systemctl kill -s KILL kjumpd.service || fail "cannot kill kjumpd"
for i in $(seq 600); do
    case $(systemctl show -P ActiveState kjumpd.service) in inactive | failed) break ;; esac
    sleep 0.1
done
journalctl -b -u kjumpd --no-pager | tail -5
[ "$(cat /sys/kernel/kexec_loaded)" = 0 ] || fail "the killed kjumpd's helper is still loaded"
[ ! -e /run/kjump/helper-loaded ] || fail "/run/kjump/helper-loaded is left after the unload"
journalctl -b -u kjumpd --no-pager | grep -q "Unloaded the helper kernel that a kjumpd that is gone" ||
    fail "kjumpd --release-stale did not say it unloaded the helper"
event killed-unloaded
event verified
finish PASS
