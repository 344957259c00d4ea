# A sleep inhibitor (a "firmware update") is held. polkit lets the user
# tester hibernate through logind and through kjumpd (the rule below, as a
# desktop session would), but not override inhibitors: logind refuses
# because of the inhibitor, and kjumpd must refuse too, to tester and to
# root. Released, the same request hibernates and restores.
wait_for_kjumpd
setup_target
mkdir -p /etc/polkit-1/rules.d
cat > /etc/polkit-1/rules.d/50-kjump-test.rules <<'RULES'
polkit.addRule(function(action, subject) {
    if (subject.user == "tester" &&
        (action.id == "org.kjump1.hibernate" || action.id == "org.freedesktop.login1.hibernate"))
        return polkit.Result.YES;
});
RULES
systemctl restart polkit.service || fail "cannot restart polkit"
as_tester() { setpriv --reuid=tester --regid=tester --init-groups "$@"; }
login1_can() { as_tester busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager CanHibernate; }
[ "$(as_tester busctl call org.kjump1 /org/kjump1 org.kjump1.Manager CanHibernate)" = 's "yes"' ] ||
    fail "the polkit rule does not let tester hibernate: $(as_tester busctl call org.kjump1 /org/kjump1 org.kjump1.Manager CanHibernate)"
[ "$(login1_can)" = 's "yes"' ] || fail "the polkit rule does not let tester hibernate through logind: $(login1_can)"

systemd-inhibit --what=sleep --mode=block --who=kjump-test --why="firmware update" sleep 100000 &
inhibitor=$!
for i in $(seq 300); do
    systemd-inhibit --list --no-pager 2>/dev/null | grep -q kjump-test && break
    sleep 0.1
done
systemd-inhibit --list --no-pager | grep -q kjump-test || fail "the inhibitor did not appear"

refused() { # what command...
    local what=$1; shift
    if "$@" > /tmp/refused 2>&1; then cat /tmp/refused; fail "$what was not refused"; fi
    cat /tmp/refused
}
# logind: only the inhibitor changed since it said yes; overriding it needs
# hibernate-ignore-inhibit, which tester does not have.
[ "$(login1_can)" = 's "challenge"' ] || fail "logind's CanHibernate for tester with the inhibitor is $(login1_can)"
refused "logind's Hibernate for tester" as_tester busctl call org.freedesktop.login1 /org/freedesktop/login1 \
    org.freedesktop.login1.Manager Hibernate b false
grep -qi "inhibit\|authentication required" /tmp/refused || fail "logind did not refuse because of the inhibitor"
refused "kjumpd's Hibernate for tester" as_tester busctl call org.kjump1 /org/kjump1 org.kjump1.Manager Hibernate b false
grep -q "inhibited by kjump-test (firmware update)" /tmp/refused || fail "kjumpd did not name the inhibitor to tester"
refused "kjumpd's Hibernate for root" busctl call org.kjump1 /org/kjump1 org.kjump1.Manager Hibernate b false
grep -q "inhibited by kjump-test (firmware update)" /tmp/refused || fail "kjumpd did not name the inhibitor to root"
[ -e /run/kjump-test-pre ] && fail "a refused hibernation ran the sleep hooks"
[ "$(busctl get-property org.kjump1 /org/kjump1 org.kjump1.Manager LastResult)" = 's ""' ] ||
    fail "a refused hibernation reached the jump"
kill "$inhibitor"
wait "$inhibitor" 2>/dev/null
event refused-ok
before_hibernate
as_tester busctl --timeout=1h call org.kjump1 /org/kjump1 org.kjump1.Manager Hibernate b false ||
    fail "kjumpd's Hibernate for tester failed once the inhibitor was gone"
verify_after_resume
event verified
finish PASS
