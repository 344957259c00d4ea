# Scenario jump-roundtrip (sourced by the guest's /init): A loads the
# helper with preserve-context, jumps, the helper jumps straight back, and
# the workload verifies.
/kjump-test/workload setup || fail "workload setup failed"
event workload-ready
event request
kjumpctl suspend --direct --mode roundtrip || fail "kjumpctl suspend --direct failed"
event resumed
/kjump-test/workload verify || fail "workload verify failed"
event verified
finish PASS
