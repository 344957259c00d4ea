# logind's Hibernate over D-Bus, then kjumpd's own Hibernate.
wait_for_kjumpd
setup_target
before_hibernate
busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager Hibernate b false ||
    fail "logind's Hibernate failed"
wait_for_post "logind Hibernate"
verify_after_resume
event verified-logind
before_hibernate
busctl --timeout=1h call org.kjump1 /org/kjump1 org.kjump1.Manager Hibernate b false ||
    fail "kjumpd's Hibernate failed"
verify_after_resume
event verified
finish PASS
