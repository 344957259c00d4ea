# Hybrid sleep, then the power fails while the machine is suspended to
# RAM (the rig kills QEMU): the next boot restores the image, and this
# script goes on from where it was.
wait_for_kjumpd
setup_target
before_hibernate
systemctl hybrid-sleep || fail "systemctl hybrid-sleep failed"
wait_for_post "systemctl hybrid-sleep"
verify_after_resume hybrid-sleep
event verified
finish PASS
