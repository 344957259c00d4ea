# Plain LVM: the image file on ext4 on a logical volume of a volume group
# on a second disk. kjump carries the file's extents through the volume's
# device-mapper table down to the disk, which the helper and the boot read
# raw. A snapshot of the volume makes it a snapshot origin: refused (writing
# beneath it would corrupt the snapshot). After the restore the volume's
# file system checks clean.
wait_for_kjumpd
mib=$(awk '/^MemTotal:/ { print int($2 / 1024) + 256 }' /proc/meminfo)
pvcreate -q /dev/vdb || fail "pvcreate failed"
vgcreate -q kjvg /dev/vdb || fail "vgcreate failed"
# Two segments on the disk, with another volume between: the image's
# extents cross from one to the other.
lvcreate -q -y -n images -L "$((mib / 2))M" kjvg >/dev/null || fail "lvcreate failed"
lvcreate -q -y -n other -L 64M kjvg >/dev/null || fail "lvcreate other failed"
lvextend -q -L "+$((mib - mib / 2))M" kjvg/images >/dev/null || fail "lvextend failed"
dmsetup table kjvg-images
mkfs.ext4 -q /dev/kjvg/images || fail "mkfs.ext4 on the volume failed"
mkdir -p /var/lib/kjump
mount /dev/kjvg/images /var/lib/kjump || fail "cannot mount the volume"

# A snapshot: the volume becomes a snapshot origin, which must be refused.
lvcreate -q -y -s -n snap -L 64M kjvg/images >/dev/null || fail "lvcreate --snapshot failed"
if kjumpctl setup-target --size ram --no-update-initrd > /tmp/snap.out 2>&1; then
    cat /tmp/snap.out
    fail "setup-target accepted a file beneath a snapshot origin"
fi
cat /tmp/snap.out
grep -q "the origin of an LVM snapshot: writing beneath it would corrupt the snapshot" /tmp/snap.out ||
    fail "setup-target did not say why a snapshot origin is refused"
# Refused before anything was written: the snapshot is intact, no file left.
dmsetup status kjvg-snap | grep -q Invalid && fail "setup-target wrote through the origin: the snapshot is invalid"
[ ! -e /var/lib/kjump/image ] || fail "setup-target left a file behind after refusing"
lvremove -q -y kjvg/snap >/dev/null || fail "lvremove failed"

setup_target
grep -q "lies on LVM/device-mapper kjvg-images (linear) on /dev/vdb" /tmp/setup.out ||
    fail "setup-target did not name the layout"
grep -q "kjump.resume=UUID=$(blkid -o value -s UUID /dev/vdb):" /tmp/setup.out ||
    fail "the resume location does not name the physical volume"
kjumpctl check > /tmp/check.out 2>&1
cat /tmp/check.out
grep -q "layout: /var/lib/kjump/image on ext4 on LVM/device-mapper kjvg-images (linear) on /dev/vdb" /tmp/check.out ||
    fail "kjumpctl check did not name the layout"
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume
umount /var/lib/kjump || fail "cannot unmount the volume"
e2fsck -fn /dev/kjvg/images > /tmp/fsck.out 2>&1 || { cat /tmp/fsck.out; fail "the volume's file system is not clean after the restore"; }
event verified
finish PASS
