# The Debian package: 'apt install ./kjump_*.deb' in a guest that never had
# kjump, 'kjumpctl setup-target' (which rebuilds the initrd with the
# image's location), 'systemctl hibernate'; the rig boots the initrd the
# package made, without kjump.resume=, and it restores. Then 'apt purge
# kjump' must leave no kjump file, unit or drop-in, and hibernation as it
# was before.
deb=$(ls /kjump-test/kjump_*_amd64.deb) || fail "no package in /kjump-test"
[ ! -e /usr/bin/kjumpctl ] || fail "kjump is there before its package"
logind_before=$(logind_can Hibernate)
echo "logind's CanHibernate before: $logind_before"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$deb" > /tmp/apt.out 2>&1 ||
    { tail -n 20 /tmp/apt.out; fail "apt install $deb failed"; }
tail -n 5 /tmp/apt.out
systemctl is-enabled -q kjumpd.service || fail "the package did not enable kjumpd.service"
wait_for_kjumpd
lsinitramfs "/boot/initrd.img-$(uname -r)" | grep -q "kjump-resume" || fail "the package's trigger did not put kjump into the initrd"
kjumpctl setup-target --size ram > /tmp/setup.out 2>&1 || { cat /tmp/setup.out; fail "kjumpctl setup-target failed"; }
cat /tmp/setup.out
grep -q "running /usr/sbin/update-initramfs" /tmp/setup.out || fail "setup-target did not rebuild the initrd with the image's location"
event resume-location $(grep -o 'kjump.resume=.*' /tmp/setup.out)
wait_for_available "after the install"
kjumpctl check || fail "kjumpctl check says no after the install"
[ "$(logind_can Hibernate)" = 's "yes"' ] ||
    fail "logind does not offer hibernation after the install: $(logind_can Hibernate) (was its drop-in picked up?)"
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume

DEBIAN_FRONTEND=noninteractive apt-get purge -y kjump > /tmp/purge.out 2>&1 ||
    { tail -n 20 /tmp/purge.out; fail "apt purge kjump failed"; }
tail -n 5 /tmp/purge.out
# Every file named kjump but the test's own (the runner, its hook, memhog).
left=$(find / -xdev \( -path /proc -o -path /sys -o -path /kjump-test \) -prune -o -name '*kjump*' -print |
       grep -v -e 'kjump-test' -e '/kjump-memhog$')
left_run=$(find /run -name '*kjump*' | grep -v -e '^/run/kjump-state' -e 'kjump-test' -e 'kjump-root')
[ -z "$left$left_run" ] || fail "apt purge left: $(echo $left $left_run)"
! systemctl cat kjumpd.service >/dev/null 2>&1 || fail "kjumpd.service is still known to systemd"
! systemctl cat systemd-hibernate.service | grep -q kjump || fail "systemd-hibernate.service still has kjump's drop-in"
! lsinitramfs "/boot/initrd.img-$(uname -r)" | grep -q kjump || fail "the initrd still holds kjump after the purge"
[ "$(logind_can Hibernate)" = "$logind_before" ] ||
    fail "logind's CanHibernate is $(logind_can Hibernate) after the purge, not $logind_before as before"
event verified
finish PASS
