# HibernateMode=reboot (sleep.conf drop-in): systemctl hibernate writes the
# image and reboots instead of powering off; the rig sees the reboot and
# starts the machine again, which restores.
wait_for_kjumpd
mkdir -p /etc/systemd/sleep.conf.d
printf '[Sleep]\nHibernateMode=reboot\n' > /etc/systemd/sleep.conf.d/50-kjump-test.conf
hibernate_with_systemctl
