# Scenario partition-in-use: the raw partition holds an ext4 file system
# (made by the rig, labelled kjump.label=). kjump must refuse it as a
# target in every way a user could name it, mounted or not, and leave it
# untouched; the rig checks it from the host afterwards.
. /kjump-test/scenarios/lib.sh
label=$(sed -n 's/.*kjump\.label=\([^ ]*\).*/\1/p' /proc/cmdline)
partuuid=$(sed -n 's/.*kjump\.partuuid=\([^ ]*\).*/\1/p' /proc/cmdline)
expect_refused() { # what command...
    local what=$1; shift
    if "$@" > /tmp/out 2>&1; then cat /tmp/out; fail "$what was accepted"; fi
    cat /tmp/out
}
for spec in "LABEL=$label" "PARTUUID=$partuuid"; do
    expect_refused "setup-target $spec" kjumpctl setup-target "$spec"
    grep -q "holds ext4 (label \"$label\")" /tmp/out || fail "setup-target $spec did not name the file system"
    expect_refused "a hibernation to $spec" kjumpctl suspend --direct --mode test --target "$spec"
    grep -q "no kjump header" /tmp/out || fail "the target without a kjump header was not refused as such"
done
mkdir -p /mnt/p
mount -t ext4 "$(findfs "LABEL=$label")" /mnt/p || fail "cannot mount the partition"
echo precious > /mnt/p/file
expect_refused "setup-target --force on a mounted partition" kjumpctl setup-target --force "LABEL=$label"
grep -q "in use" /tmp/out || fail "setup-target did not say the partition is in use"
umount /mnt/p
event verified
finish PASS
