# Scenario image-test: the helper writes an image, reads it back and checks
# every checksum, then jumps back; the image is left invalid.
. /kjump-test/scenarios/lib.sh
setup_target
/kjump-test/workload setup || fail "workload setup failed"
event workload-ready
event request
kjumpctl suspend --direct --mode test --target "$TARGET" || fail "kjumpctl suspend --direct --mode test failed"
event resumed
/kjump-test/workload verify || fail "workload verify failed"
event verified
kjumpctl inspect --verify "$TARGET" || fail "kjumpctl inspect --verify rejected the image"
kjumpctl inspect --json "$TARGET" | grep -q '"state":"invalid","reason":"test image"' || fail "the test image is not marked invalid"
umount /data 2>/dev/null
finish PASS
