# Helpers for the Debian guest's scenarios.

wait_for_kjumpd() {
    local i
    for i in $(seq 600); do
        systemctl is-active -q kjumpd.service && return 0
        sleep 0.1
    done
    journalctl -b -u kjumpd --no-pager | tail -20
    fail "kjumpd.service did not start"
}

# Creates the image file and makes kjumpd use it. The rig boots with
# kjump.resume=, so the guest's own initrds need not be rebuilt (that is
# can-hibernate's part).
setup_target() {
    # As large as RAM: any workload fits (TargetSize='s default is small-target's and can-hibernate's).
    kjumpctl setup-target --size ram --no-update-initrd > /tmp/setup.out 2>&1 ||
        { cat /tmp/setup.out; fail "kjumpctl setup-target failed"; }
    cat /tmp/setup.out
    event resume-location $(grep -o 'kjump.resume=.*' /tmp/setup.out)
    systemctl reload kjumpd.service || fail "systemctl reload kjumpd failed"
    [ "$(busctl get-property org.kjump1 /org/kjump1 org.kjump1.Manager HelperLoaded)" = "b true" ] ||
        { kjumpctl status; journalctl -b -u kjumpd --no-pager | tail -15; fail "kjumpd did not load the helper: $(kjumpctl status | grep Unavailable)"; }
}

# Waits until kjumpd says hibernation is possible (it looks again by itself
# when an initrd is rebuilt): what logind offers follows it.
wait_for_available() {
    local i
    for i in $(seq 600); do
        [ "$(busctl get-property org.kjump1 /org/kjump1 org.kjump1.Manager UnavailableReason)" = 's ""' ] && return 0
        sleep 0.1
    done
    kjumpctl status
    fail "kjumpd still says hibernation is not available ($1)"
}

# Waits for the system-sleep hook's "post" mark: the end of a hibernation
# that was started asynchronously (systemctl hibernate, logind).
wait_for_post() {
    local i
    for i in $(seq 6000); do
        [ -e /run/kjump-test-post ] && return 0
        sleep 0.1
    done
    fail "the hibernation never came back ($1)"
}

# What a user would check when the session is back: the workload, the
# file written just before, the hooks run with VERB (default hibernate).
verify_session() {
    local verb=${1:-hibernate}
    event resumed
    /kjump-test/workload verify || fail "workload verify failed"
    sha256sum -c "$KJUMP_STATE/dirty.sha256" >/dev/null || fail "the file written just before sleeping changed"
    journalctl -b --no-pager -t kjump-test-hook | grep -q "pre $verb $verb" ||
        fail "journalctl does not show the system-sleep hook's pre $verb run"
    journalctl -b --no-pager -t kjump-test-hook | grep -q "post $verb $verb" ||
        fail "journalctl does not show the system-sleep hook's post $verb run"
    rm -f /run/kjump-test-post
}

# After a restore: the session, and the image consumed.
verify_after_resume() {
    verify_session "$@"
    kjumpctl inspect --json | grep -q '"state":"consumed"' || fail "the restored image is not consumed"
}

# After a restore of an image protected by PROTECTION (luks, tpm2): it was,
# and its key is gone, so it can never be read again.
verify_key_destroyed() {
    kjumpctl inspect --json > /tmp/inspect.json
    grep -q "\"protection\":\"$1\"" /tmp/inspect.json || { cat /tmp/inspect.json; fail "the image was not protected ($1)"; }
    if kjumpctl inspect --verify > /tmp/verify.out 2>&1; then
        cat /tmp/verify.out
        fail "the restored image still opens: its key was not destroyed"
    fi
    grep -q "key is gone" /tmp/verify.out || { cat /tmp/verify.out; fail "inspect --verify did not say the key is gone"; }
}

# logind's answer to Can$1 (CanHibernate, CanHybridSleep, ...).
logind_can() {
    busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager "Can$1"
}

# setup, workload, systemctl hibernate, and the checks after the restore.
hibernate_with_systemctl() {
    setup_target
    before_hibernate
    systemctl hibernate || fail "systemctl hibernate failed"
    wait_for_post "systemctl hibernate"
    verify_after_resume
    event verified
    finish PASS
}

# Text that must never be readable on a disk while the image is encrypted:
# a process keeps 4096 copies of it in its heap. Only its seed is said
# (the console and the journal, which lies on a disk, see the seed, never
# the text): KJUMP-PLAINTEXT- and the first 32 hex digits of the seed's
# SHA-256, as the rig computes it too.
hold_plaintext_marker() {
    local seed marker
    seed=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    marker=KJUMP-PLAINTEXT-$(printf %s "$seed" | sha256sum | cut -c1-32)
    # shellcheck disable=SC2016
    bash -c 'x=; for i in $(seq 4096); do x+="$1 "; done; while :; do sleep 3600; done' kjump-marker "$marker" &
    event plaintext-seed "$seed"
}

# The workload, a file written just before the request (dirty), then the
# request; "before_hibernate bench" says what RAM holds just before it.
before_hibernate() {
    /kjump-test/workload setup || fail "workload setup failed"
    dd if=/dev/urandom of=/root/dirty bs=1M count=8 2>/dev/null
    sha256sum /root/dirty > "$KJUMP_STATE/dirty.sha256"
    event workload-ready
    [ "${1:-}" != bench ] || meminfo_event before
    event request
}

# For the bench: what RAM holds now, as KJUMP-EVENT meminfo-TAG fields
# (MiB): in use (not free), file cache (page cache of files on disks, not
# tmpfs), shmem (tmpfs and shared memory), total.
meminfo_event() {
    awk -v tag="$1" '
        { v[$1] = $2 }
        END { printf "KJUMP-EVENT meminfo-%s total_mib=%d used_mib=%d file_cache_mib=%d shmem_mib=%d\n", tag,
              v["MemTotal:"] / 1024, (v["MemTotal:"] - v["MemFree:"]) / 1024,
              (v["Cached:"] + v["Buffers:"] - v["Shmem:"]) / 1024, v["Shmem:"] / 1024 }' /proc/meminfo
}

bench_after() {
    event resumed
    meminfo_event after
    /kjump-test/workload verify || fail "workload verify failed"
    sha256sum -c "$KJUMP_STATE/dirty.sha256" >/dev/null || fail "the file written just before sleeping changed"
}
