# Scenario io-error-write: the target's disk fails writes in the middle of
# the image. The helper must record the failure, jump back, and A must run
# on with everything intact; kjumpctl says what happened.
. /kjump-test/scenarios/lib.sh
setup_target
event resume-location $(kjumpctl resume-location "$TARGET") || fail "kjumpctl resume-location failed"
/kjump-test/workload setup || fail "workload setup failed"
event workload-ready
event request
{ kjumpctl suspend --direct --mode hibernate --target "$TARGET" 2>&1; echo "exit status $?"; } | tee /tmp/out
grep -q "exit status 0" /tmp/out && fail "kjumpctl suspend succeeded on a failing disk"
grep -q "Input/output error" /tmp/out || fail "kjumpctl did not report the I/O error"
event resumed
/kjump-test/workload verify || fail "workload verify failed"
kjumpctl inspect --json "$TARGET" | grep -q '"state":"invalid","reason":"helper error"' ||
    fail "the image is not marked invalid with the helper's error"
event verified
umount /data 2>/dev/null
finish PASS
