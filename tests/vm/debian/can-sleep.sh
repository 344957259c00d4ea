# logind offers exactly what kjump can do now (kjumpd's sleep.conf
# drop-in in /run): nothing before the target exists; then hibernation
# and suspend-then-hibernate, but not hybrid sleep, which needs ACPI S3
# (this guest's firmware offers none); systemctl refuses hybrid-sleep
# instead of failing half way.
wait_for_kjumpd
for op in Hibernate HybridSleep SuspendThenHibernate Suspend; do echo "before: Can$op: $(logind_can $op)"; done
for op in Hibernate HybridSleep SuspendThenHibernate; do
    [ "$(logind_can $op)" = 's "na"' ] || fail "logind's Can$op is $(logind_can $op) without a target, not na"
done
setup_target
for op in Hibernate HybridSleep SuspendThenHibernate Suspend; do echo "after: Can$op: $(logind_can $op)"; done
cat /run/systemd/sleep.conf.d/kjump.conf
[ "$(logind_can Hibernate)" = 's "yes"' ] || fail "logind's CanHibernate is $(logind_can Hibernate), not yes"
[ "$(logind_can SuspendThenHibernate)" = 's "yes"' ] ||
    fail "logind's CanSuspendThenHibernate is $(logind_can SuspendThenHibernate), not yes"
[ "$(logind_can HybridSleep)" = 's "na"' ] ||
    fail "logind offers hybrid sleep on a machine without S3: $(logind_can HybridSleep)"
if systemctl hybrid-sleep > /tmp/out 2>&1; then cat /tmp/out; fail "systemctl hybrid-sleep was accepted"; fi
cat /tmp/out
[ -e /run/kjump-test-pre ] && fail "a refused sleep verb ran the sleep hooks"
kjumpctl inspect --json | grep -q '"state":"writing"\|"state":"valid"' && fail "a refused sleep verb wrote an image"
# Once kjumpd stops, kjump's static drop-in speaks again: no hybrid sleep.
systemctl stop kjumpd.service
[ -e /run/systemd/sleep.conf.d/kjump.conf ] && fail "kjumpd left its sleep.conf drop-in behind"
[ "$(logind_can HybridSleep)" = 's "na"' ] || fail "without kjumpd logind offers hybrid sleep: $(logind_can HybridSleep)"
event verified
finish PASS
