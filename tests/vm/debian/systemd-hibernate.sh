# systemctl hibernate -> logind -> systemd-hibernate.service -> kjump.
wait_for_kjumpd
hibernate_with_systemctl
