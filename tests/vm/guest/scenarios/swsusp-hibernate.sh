# The baseline of the benchmark: the kernel's own hibernation (swsusp) to a
# swap partition (vdc), with the same workload, in the same guest.
. /kjump-test/scenarios/lib.sh
mount_data
mkswap /dev/vdc >/dev/null || fail "mkswap failed"
swapon /dev/vdc || fail "swapon failed"
/kjump-test/workload setup || fail "workload setup failed"
write_dirty_file
event workload-ready
event request
echo shutdown > /sys/power/disk
echo disk > /sys/power/state || fail "echo disk > /sys/power/state failed"
event resumed
/kjump-test/workload verify || fail "workload verify failed"
sha256sum -c "$KJUMP_STATE/dirty.sha256" >/dev/null || fail "the file written just before hibernating changed"
event swsusp-image $(dmesg | sed -n 's/.*Need to copy \([0-9]*\) pages.*/pages=\1/p' | tail -n 1)
event verified
umount /data 2>/dev/null
finish PASS
