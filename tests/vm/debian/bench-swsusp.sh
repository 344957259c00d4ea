# The bench's baseline: the kernel's own hibernation (swsusp) to a swap
# partition on the second disk (vdb), through the kernel's interface, as
# systemd-sleep does it; the rig boots the next time with resume=/dev/vdb.
# kjumpd runs but has no target here: it has no helper loaded.
mkswap /dev/vdb >/dev/null || fail "mkswap /dev/vdb failed"
swapon /dev/vdb || fail "swapon /dev/vdb failed"
before_hibernate bench
echo shutdown > /sys/power/disk || fail "echo shutdown > /sys/power/disk failed"
echo disk > /sys/power/state || fail "echo disk > /sys/power/state failed"
bench_after
# Pages in the kernel's image before its compression; its compressed size
# is what the rig saw written to vdb.
event swsusp-image "$(dmesg | sed -n 's/.*Need to copy \([0-9]*\) pages.*/pages=\1/p' | tail -n 1)"
swapoff /dev/vdb
event verified
finish PASS
