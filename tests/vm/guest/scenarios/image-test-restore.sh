# Scenario image-test-restore: the helper writes an image, overwrites all
# of A's RAM outside its window, restores it from the image and jumps back.
. /kjump-test/scenarios/lib.sh
setup_target
/kjump-test/workload setup || fail "workload setup failed"
event workload-ready
# kjumpctl check says what the hibernation will do with the free pages: the
# helper's own line (restore=leave or zero) is checked by the rig.
if grep -qw init_on_free=1 /proc/cmdline; then want="zeroed at a restore"; else want="and left alone at a restore"; fi
check_out=$(kjumpctl check --target "$TARGET" 2>&1 || true)
echo "$check_out" | grep "free pages:"
echo "$check_out" | grep "^  free pages: " | grep -q "$want" || fail "kjumpctl check does not say the free pages are $want"
event request
kjumpctl suspend --direct --mode test-restore --target "$TARGET" || fail "kjumpctl suspend --direct --mode test-restore failed"
event resumed
/kjump-test/workload verify || fail "workload verify failed"
# New memory is zero, as the kernel promises: most of what is free now,
# pages the restore left alone (or zeroed, when the kernel relies on its
# free pages holding zeros: init_on_free).
fresh_kib=$(( $(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 3 / 4 ))
kjump-memhog --fresh --size "${fresh_kib}K" || fail "fresh memory is not zero after the restore"
event verified
kjumpctl inspect --verify "$TARGET" || fail "kjumpctl inspect --verify rejected the image"
umount /data 2>/dev/null
finish PASS
