# The bench's kjump run, as users run it: kjumpd with the helper preloaded,
# asked over D-Bus (Hibernate), which returns when the machine is back.
wait_for_kjumpd
# kjump-vm bench --park: the helper boots once, at the load, and waits parked.
if grep -qw kjump.park=1 /proc/cmdline; then
    mkdir -p /etc/kjump/kjump.conf.d
    printf '[Hibernate]\nParkHelper=yes\n' > /etc/kjump/kjump.conf.d/park.conf
fi
# kjump-vm bench --no-adaptive: every chunk compressed.
if grep -qw kjump.adaptive=0 /proc/cmdline; then
    mkdir -p /etc/kjump/kjump.conf.d
    printf '[Hibernate]\nAdaptiveCompression=no\n' > /etc/kjump/kjump.conf.d/adaptive.conf
fi
setup_target
event helper-pinned bytes="$(busctl get-property org.kjump1 /org/kjump1 org.kjump1.Manager HelperPinnedBytes | cut -d' ' -f2)"
before_hibernate bench
busctl --timeout=1h call org.kjump1 /org/kjump1 org.kjump1.Manager Hibernate b false ||
    fail "kjumpd's Hibernate failed"
bench_after
kjumpctl inspect --json | grep -q '"state":"consumed"' || fail "the restored image is not consumed"
event verified
finish PASS
