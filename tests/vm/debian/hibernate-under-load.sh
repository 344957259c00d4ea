# Hibernate while CPU, memory and disk I/O are busy (stress-ng), with dirty
# data in the page cache written by a process that goes on writing: what
# it wrote before the request is on the disk or in the restored cache.
wait_for_kjumpd
setup_target
stress-ng --cpu 1 --vm 1 --vm-bytes 64M --io 1 --hdd 1 --hdd-bytes 16M --temp-path /root --timeout 0 \
    > /tmp/stress.log 2>&1 &
stress=$!
# A writer of numbered records (shell builtins only: cheap under load);
# each line goes to the page cache as it is written.
( i=0; while :; do echo "record $i $RANDOM$RANDOM$RANDOM kjump hibernate-under-load"; i=$((i + 1)); done ) \
    > /root/records &
writer=$!
sleep_until_records() { local n; for n in $(seq 600); do [ "$(wc -l < /root/records)" -gt "$1" ] && return 0; sleep 0.1; done; return 1; }
sleep_until_records 1000 || fail "the writer did not write"
before_hibernate
cp /root/records "$KJUMP_STATE/records.before"
systemctl hibernate || fail "systemctl hibernate under load failed"
wait_for_post "systemctl hibernate under load"
verify_after_resume
kill "$writer" "$stress" 2>/dev/null
wait "$writer" "$stress" 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
# Every record written before the request is still there, in order, on disk.
# (The copy's last line may be cut: compare whole lines.)
n=$(wc -l < "$KJUMP_STATE/records.before")
head -n "$n" /root/records | cmp -s - <(head -n "$n" "$KJUMP_STATE/records.before") ||
    fail "records written before the hibernation were lost or changed"
echo "$n records before the request, $(wc -l < /root/records) after"
rm -f /root/records
event verified
finish PASS
