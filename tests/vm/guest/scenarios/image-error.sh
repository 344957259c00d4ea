# Scenario image-error: the target is far too small. Right before the jump
# kjump sees that the image might not fit even without the page cache,
# and refuses with the figures; nothing is jumped into, the target is not
# touched, the guest keeps running.
. /kjump-test/scenarios/lib.sh
setup_target 16M
before=$(kjumpctl inspect --json "$TARGET" | grep -o '"state":"[a-z]*"')
/kjump-test/workload setup || fail "workload setup failed"
event workload-ready
event request
{ kjumpctl suspend --direct --mode test --target "$TARGET" 2>&1; echo "exit status $?"; } | tee /tmp/out
grep -q "exit status 0" /tmp/out && fail "kjumpctl suspend succeeded with a 16 MiB target"
event resumed
grep -q "the image might not fit in the target: up to [0-9]* MiB of RAM in use even without the page cache, the target holds 16 MiB" /tmp/out ||
    fail "kjumpctl did not say, with the figures, that the image does not fit"
grep -q "KJUMP-MARK jump" /tmp/out && fail "kjump jumped into the helper although the image could not fit"
/kjump-test/workload verify || fail "workload verify failed"
[ "$(kjumpctl inspect --json "$TARGET" | grep -o '"state":"[a-z]*"')" = "$before" ] ||
    fail "the target's header changed although nothing was written ($before before)"
event verified
umount /data 2>/dev/null
finish PASS
