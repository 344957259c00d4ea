# Scenario init-on-free: image-test-restore in a kernel that zeroes its
# free pages as they are freed (init_on_free=1) and so hands them out
# without zeroing them: kjump must restore them as zeros, which the fresh
# memory check of image-test-restore.sh proves.
grep -qw init_on_free=1 /proc/cmdline || fail "not booted with init_on_free=1"
. /kjump-test/scenarios/image-test-restore.sh
