# The target is re-created by hand after kjumpd preloaded the helper with
# its extent map, so kjumpd is not told; the old file's blocks are freed
# and a new file fills the disk, taking them over. No hibernation may
# write over that file: kjumpd re-checks the target right before the
# jump and finds it moved. The initrd still looks at the old place, so it
# refuses (the image would never be found); once the initrd is updated,
# the hibernation writes the new target and the filler survives.
wait_for_kjumpd
setup_target
image=/var/lib/kjump/image
size=$(stat -c %s "$image")

# Re-creates the target as a user might by hand: new inode, new blocks.
recreate() {
    chattr -i "$image" && mv "$image" "$image.old" || fail "cannot move the target away"
    fallocate -l "$size" "$image" &&
        dd if=/dev/zero of="$image" bs=1M count=$((size / 1048576)) conv=notrunc,fsync status=none &&
        chmod 600 "$image" && chattr +i "$image" || fail "cannot create the new target by hand"
    chattr -i "$image.old" 2>/dev/null
    rm -f "$image.old"
    sync
}
update_initrd() {
    update-initramfs -u > /tmp/update.out 2>&1 || { cat /tmp/update.out; fail "update-initramfs -u failed"; }
}

# The initrd records where the target is now.
update_initrd
# Only the old target's blocks need the filler: a ballast (allocated, no
# data written) takes what is free but the new target's room and 256 MiB,
# so that the filler is about as large as the target, not the whole disk
# (1.7 GiB written and hashed three times: most of this scenario's time).
ballast_mib=$(( $(df -Pm / | awk 'NR==2 {print $4}') - size / 1048576 - 256 ))
if [ "$ballast_mib" -gt 0 ]; then
    fallocate -l "${ballast_mib}M" /root/ballast || fail "cannot allocate the ballast"
fi
# The old target's blocks (filefrag -v: "ext: lstart.. lend: pstart.. pend: len:").
extents() { filefrag -v "$1" | awk '/^ *[0-9]+:/ { gsub(/\.\./, " "); gsub(/:/, " "); print $4, $5 }'; }
extents "$image" > /tmp/old-extents
[ -s /tmp/old-extents ] || fail "cannot read the target's extents"
recreate
# Fill what is free but 160 MiB with a known pattern.
free_mib=$(( $(df -Pm / | awk 'NR==2 {print $4}') - 160 ))
[ "$free_mib" -gt 256 ] || fail "too little free space to fill: $free_mib MiB"
yes "kjump stale-target filler, every block must survive" | head -c "$((free_mib * 1048576))" > /root/filler ||
    fail "cannot write the filler"
sync
# Its CRC, then compared with what the disk holds (a CRC, not SHA-256:
# against an accidental overwrite it is as good, and the emulated guest
# took a minute a time to hash the file with SHA-256).
filler_crc=$(cksum < /root/filler)
filler_intact() { echo 3 > /proc/sys/vm/drop_caches && [ "$(cksum < /root/filler)" = "$filler_crc" ]; }
echo "filler: $free_mib MiB"
# The premise: the filler took most of the old target's blocks.
extents /root/filler > /tmp/filler-extents
taken=$(awk 'NR == FNR { s[NR] = $1; e[NR] = $2; n = NR; old += $2 - $1 + 1; next }
             { for (i = 1; i <= n; i++) { lo = $1 > s[i] ? $1 : s[i]; hi = $2 < e[i] ? $2 : e[i];
                                          if (hi >= lo) t += hi - lo + 1 } }
             END { printf "%d", 100 * t / old }' /tmp/old-extents /tmp/filler-extents)
echo "filler: ${taken}% of the old target's blocks"
[ "$taken" -ge 50 ] || fail "the filler took only ${taken}% of the old target's blocks"

# 1. The initrd still looks at the old place: refused, nothing written.
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate (refused)"
rm -f /run/kjump-test-post /run/kjump-test-pre
result=$(busctl get-property org.kjump1 /org/kjump1 org.kjump1.Manager LastResult)
echo "kjumpd: $result"
echo "$result" | grep -q "the image target moved and the next boot would look for the image at" ||
    fail "kjumpd did not refuse a hibernation the next boot would not find"
# Until the initrd is rebuilt, logind does not offer it (kjumpd's drop-in).
[ "$(logind_can Hibernate)" = 's "na"' ] || fail "logind still offers hibernation: $(logind_can Hibernate)"
kjumpctl inspect --json > /tmp/inspect 2>&1
grep -q '"state":"valid"\|"state":"writing"' /tmp/inspect && fail "a refused hibernation wrote an image"
filler_intact || fail "the refused hibernation wrote over the filler"

# 2. The initrd updated, as kjumpctl check and kjumpd's refusal say: the
# hibernation goes to the new target (kjumpd checks again at the request
# what made it unavailable) and the filler survives.
update_initrd
wait_for_available "after update-initramfs"
[ "$(logind_can Hibernate)" = 's "yes"' ] || fail "logind does not offer hibernation again: $(logind_can Hibernate)"
event resume-location $(kjumpctl resume-location)
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume
filler_intact || fail "the file that took the old target's blocks was overwritten"
journalctl -b --no-pager -u kjumpd | grep -q "changed since the helper was loaded" ||
    fail "kjumpd's journal does not say that it found the target moved"
rm -f /root/filler /root/ballast
event verified
finish PASS
