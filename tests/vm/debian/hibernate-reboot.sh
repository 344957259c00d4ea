# HibernateMode=reboot (sleep.conf drop-in): systemctl hibernate writes the
# image and reboots instead of powering off; the rig sees the reboot and
# starts the machine again, which restores.
wait_for_kjumpd
mkdir -p /etc/systemd/sleep.conf.d
printf '[Sleep]\nHibernateMode=reboot\n' > /etc/systemd/sleep.conf.d/50-kjump-test.conf
setup_target
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume
event verified
finish PASS
