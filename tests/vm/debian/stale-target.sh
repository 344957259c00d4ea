# The target is re-created by hand after kjumpd preloaded the helper with
# its extent map, so kjumpd is not told; the old file's blocks are freed
# and a new file fills the disk, taking them over. The hibernation must
# not write over that file: kjumpd re-checks the target right before the
# jump, finds it moved, loads the helper again and writes to the new one.
wait_for_kjumpd
setup_target
image=/var/lib/kjump/image
size=$(stat -c %s "$image")
chattr -i "$image" && mv "$image" "$image.old" || fail "cannot move the target away"
fallocate -l "$size" "$image" && dd if=/dev/zero of="$image" bs=1M count=$((size / 1048576)) conv=notrunc,fsync status=none &&
    chmod 600 "$image" && chattr +i "$image" || fail "cannot create the new target by hand"
rm -f "$image.old"
sync
# Where the image will be now; a user would run update-initramfs (kjumpctl
# check says so), the rig passes it on the restore boot's command line.
event resume-location $(kjumpctl resume-location)
# Fill what is free but 160 MiB with a known pattern.
free_mib=$(( $(df -Pm / | awk 'NR==2 {print $4}') - 160 ))
[ "$free_mib" -gt 256 ] || fail "too little free space to fill: $free_mib MiB"
yes "kjump stale-target filler, every block must survive" | head -c "$((free_mib * 1048576))" > /root/filler ||
    fail "cannot write the filler"
sync
sha256sum /root/filler > "$KJUMP_STATE/filler.sha256"
echo "filler: $free_mib MiB"
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume
echo 3 > /proc/sys/vm/drop_caches
sha256sum -c "$KJUMP_STATE/filler.sha256" >/dev/null || fail "the file that took the old target's blocks was overwritten"
journalctl -b --no-pager -u kjumpd | grep -q "changed since the helper was loaded" ||
    fail "kjumpd's journal does not say that it found the target moved"
rm -f /root/filler
event verified
finish PASS
