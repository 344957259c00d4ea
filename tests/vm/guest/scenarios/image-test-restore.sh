# Scenario image-test-restore: the helper writes an image, overwrites all
# of A's RAM outside its window, restores it from the image and jumps back.
. /kjump-test/scenarios/lib.sh
setup_target
/kjump-test/workload setup || fail "workload setup failed"
event workload-ready
event request
kjumpctl suspend --direct --mode test-restore --target "$TARGET" || fail "kjumpctl suspend --direct --mode test-restore failed"
event resumed
/kjump-test/workload verify || fail "workload verify failed"
event verified
kjumpctl inspect --verify "$TARGET" || fail "kjumpctl inspect --verify rejected the image"
umount /data 2>/dev/null
finish PASS
