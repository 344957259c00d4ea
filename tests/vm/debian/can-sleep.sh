# logind offers exactly what kjump can do: hibernation, not hybrid sleep
# nor suspend-then-hibernate (kjump's sleep.conf drop-in), and
# systemctl refuses those instead of failing half way.
wait_for_kjumpd
setup_target
can() { busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager "$1"; }
for op in CanHibernate CanHybridSleep CanSuspendThenHibernate CanSuspend; do
    echo "$op: $(can $op)"
done
[ "$(can CanHibernate)" = 's "yes"' ] || fail "logind's CanHibernate is $(can CanHibernate), not yes"
[ "$(can CanHybridSleep)" = 's "na"' ] || fail "logind offers hybrid sleep, which kjump cannot do: $(can CanHybridSleep)"
[ "$(can CanSuspendThenHibernate)" = 's "na"' ] ||
    fail "logind offers suspend-then-hibernate, which kjump cannot do: $(can CanSuspendThenHibernate)"
for verb in hybrid-sleep suspend-then-hibernate; do
    if systemctl "$verb" > /tmp/out 2>&1; then cat /tmp/out; fail "systemctl $verb was accepted"; fi
    cat /tmp/out
done
[ -e /run/kjump-test-pre ] && fail "a refused sleep verb ran the sleep hooks"
kjumpctl inspect --json | grep -q '"state":"writing"\|"state":"valid"' && fail "a refused sleep verb wrote an image"
event verified
finish PASS
