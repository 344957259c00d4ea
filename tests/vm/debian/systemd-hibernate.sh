# systemctl hibernate -> logind -> systemd-hibernate.service -> kjump.
wait_for_kjumpd
setup_target
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume
event verified
finish PASS
