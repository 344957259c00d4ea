# CanHibernate with kjump set up, and kjumpctl check without a target.
wait_for_kjumpd
out=$(kjumpctl check); rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "kjumpctl check says yes without a target"
echo "$out" | grep -q "The image target /var/lib/kjump/image cannot be used: /var/lib/kjump/image: No such file or directory (create it with 'kjumpctl setup-target')" ||
    fail "kjumpctl check does not name the missing target"
[ "$(busctl call org.kjump1 /org/kjump1 org.kjump1.Manager CanHibernate)" = 's "na"' ] ||
    fail "kjumpd's CanHibernate is not na without a target"
setup_target
# The initramfs was made before the target existed: check names it stale.
out=$(kjumpctl check); rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "kjumpctl check says yes with an initrd that records no location"
echo "$out" | grep -q "The initrd of kernel $(uname -r) records no image location" ||
    fail "kjumpctl check does not name the stale initrd"
# setup-target rebuilds the initrds that record another place by itself.
kjumpctl setup-target --force > /tmp/update.out 2>&1 || { cat /tmp/update.out; fail "kjumpctl setup-target --force failed"; }
cat /tmp/update.out
# Without --size, TargetSize='s default: 60% of RAM.
grep -q "The image file holds .* MiB, less than RAM" /tmp/update.out || fail "setup-target did not size the file from TargetSize="
[ "$(stat -c %s /var/lib/kjump/image)" -lt "$(awk '/^MemTotal:/ { print $2 * 1024 }' /proc/meminfo)" ] ||
    fail "the default image file is not smaller than RAM"
grep -q "The initrd of kernel $(uname -r) records another image location: running /usr/sbin/update-initramfs -u -k $(uname -r)" /tmp/update.out ||
    fail "setup-target did not rebuild the stale initrd"
grep -q "$(grep -o 'kjump.resume=.*' /tmp/update.out)" "/var/lib/kjump/initrd/$(uname -r)" ||
    fail "the new initrd does not record the target's location"
kjumpctl check || fail "kjumpctl check says no with the target set up and the initrd up to date"
[ "$(busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager CanHibernate)" = 's "yes"' ] ||
    fail "logind's CanHibernate is not yes: $(busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager CanHibernate)"
[ "$(busctl call org.kjump1 /org/kjump1 org.kjump1.Manager CanHibernate)" = 's "yes"' ] ||
    fail "kjumpd's CanHibernate is not yes"
# A user without an active session must authenticate as an administrator
# (polkit: org.kjump1.hibernate allow_any=auth_admin_keep).
as_tester() { setpriv --reuid=tester --regid=tester --init-groups "$@"; }
answer=$(as_tester busctl call org.kjump1 /org/kjump1 org.kjump1.Manager CanHibernate)
[ "$answer" = 's "challenge"' ] || fail "kjumpd's CanHibernate for a user outside a session is $answer, not challenge"
answer=$(as_tester busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager CanHibernate)
[ "$answer" = 's "challenge"' ] || fail "logind's CanHibernate for a user outside a session is $answer, not challenge"
event verified
finish PASS
