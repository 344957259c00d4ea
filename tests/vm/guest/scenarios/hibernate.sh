# Scenario hibernate (the first boot of every restore scenario): hibernate
# for real; the helper writes the image and powers off. When the machine
# is restored, this script carries on from the jump and checks everything.
. /kjump-test/scenarios/lib.sh
# Before any workload: the kernel's boot messages are still in its log.
platform_event before
# kjump.target-size=SIZE (small-target): the image file's size.
setup_target "$(sed -n 's/.*kjump\.target-size=\([^ ]*\).*/\1/p' /proc/cmdline)"
event resume-location $(kjumpctl resume-location "$TARGET") || fail "kjumpctl resume-location failed"
network_check "before hibernating"
/kjump-test/workload setup || fail "workload setup failed"
# kjump.fill=PERCENT (small-target): RAM in use up to PERCENT, half page cache.
fill=$(sed -n 's/.*kjump\.fill=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -z "$fill" ] || fill_memory "$fill"
write_dirty_file
event workload-ready
event clock before=$(date +%s)
event request
# kjump.helper-extra=ARG: one more helper kernel argument (fault injection).
extra=$(sed -n 's/.*kjump\.helper-extra=\([^ ]*\).*/\1/p' /proc/cmdline)
# kjump.encryption=E (forged-image-tpm2): how the image is protected.
encryption=$(sed -n 's/.*kjump\.encryption=\([^ ]*\).*/\1/p' /proc/cmdline)
kjumpctl suspend --direct --mode hibernate --target "$TARGET" ${extra:+--helper-cmdline "$extra"} \
    ${encryption:+--encryption "$encryption"} ||
    fail "kjumpctl suspend --direct --mode hibernate failed"
event clock after=$(date +%s)
event resumed
platform_event resumed
/kjump-test/workload verify || fail "workload verify failed"
fill_verify
sha256sum -c "$KJUMP_STATE/dirty.sha256" >/dev/null || fail "the file written just before hibernating changed"
echo 3 > /proc/sys/vm/drop_caches
sha256sum -c "$KJUMP_STATE/dirty.sha256" >/dev/null || fail "the file written just before hibernating is not on the disk"
dd if=/dev/urandom of=/data/after bs=1M count=4 2>/dev/null && sync && sha256sum /data/after > /tmp/after.sha256
echo 3 > /proc/sys/vm/drop_caches
sha256sum -c /tmp/after.sha256 >/dev/null || fail "the disk does not work after the restore"
platform_event after
network_check "after the restore"
kjumpctl inspect --json "$TARGET" | grep -q '"state":"consumed"' || fail "the restored image is not marked consumed"
event verified
umount /data 2>/dev/null
finish PASS
