# Scenario image-error: the target is far too small; the helper fails,
# records why, and jumps back; the guest keeps running and reports it.
. /kjump-test/scenarios/lib.sh
setup_target 16M
/kjump-test/workload setup || fail "workload setup failed"
event workload-ready
event request
{ kjumpctl suspend --direct --mode test --target "$TARGET" 2>&1; echo "exit status $?"; } | tee /tmp/out
grep -q "exit status 0" /tmp/out && fail "kjumpctl suspend succeeded with a 16 MiB target"
event resumed
grep -q "does not fit" /tmp/out || fail "kjumpctl did not report that the image does not fit"
/kjump-test/workload verify || fail "workload verify failed"
kjumpctl inspect --json "$TARGET" | grep -q '"state":"invalid","reason":"helper error"' || fail "the image is not marked invalid with the helper's error"
event verified
umount /data 2>/dev/null
finish PASS
