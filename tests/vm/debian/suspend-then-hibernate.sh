# systemctl suspend-then-hibernate with HibernateDelaySec=20s: kjumpd
# suspends to RAM with an RTC alarm; the alarm wakes the machine, kjumpd
# hibernates; the rig powers it on again and the image is restored.
wait_for_kjumpd
mkdir -p /etc/systemd/sleep.conf.d
printf '[Sleep]\nHibernateDelaySec=20s\n' > /etc/systemd/sleep.conf.d/50-kjump-test.conf
setup_target
[ "$(logind_can SuspendThenHibernate)" = 's "yes"' ] ||
    fail "logind's CanSuspendThenHibernate is $(logind_can SuspendThenHibernate) with kjump set up"
before_hibernate
systemctl suspend-then-hibernate || fail "systemctl suspend-then-hibernate failed"
wait_for_post "systemctl suspend-then-hibernate"
verify_after_resume suspend-then-hibernate
event verified
finish PASS
