# Helpers shared by the scenarios (sourced by the guest's /init).

# Prepares the image target named by kjump.target= (file or partition) and
# sets $TARGET. With an argument, the file target gets that size.
mount_data() {
    mkdir -p /data
    mount -t ext4 /dev/vda /data || fail "cannot mount the guest's ext4 disk"
}

setup_target() {
    kind=$(sed -n 's/.*kjump\.target=\([^ ]*\).*/\1/p' /proc/cmdline)
    # The guest's ext4 disk holds its files (and the image file, if any).
    mount_data
    case "$kind" in
    file|"")
        mkdir -p /data/kjump
        TARGET=/data/kjump/image
        # A file as large as RAM unless asked: any workload fits.
        kjumpctl setup-target --size "${1:-ram}" "$TARGET" || fail "kjumpctl setup-target failed"
        ;;
    partition)
        partuuid=$(sed -n 's/.*kjump\.partuuid=\([^ ]*\).*/\1/p' /proc/cmdline)
        TARGET=PARTUUID=$partuuid
        # kjump.setup-spec=SPEC: set the partition up by another name
        # (LABEL=, UUID= of the file system it held), with --force.
        spec=$(sed -n 's/.*kjump\.setup-spec=\([^ ]*\).*/\1/p' /proc/cmdline)
        if [ -n "$spec" ]; then
            kjumpctl setup-target --force "$spec" > /tmp/setup.out 2>&1 || { cat /tmp/setup.out; fail "kjumpctl setup-target --force $spec failed"; }
            cat /tmp/setup.out
            grep -q "kjump.resume=PARTUUID=$partuuid:0" /tmp/setup.out || fail "setup-target did not name the partition by its PARTUUID"
        else
            kjumpctl setup-target "$TARGET" || fail "kjumpctl setup-target $TARGET failed"
        fi
        ;;
    *)
        fail "unknown target kind $kind"
        ;;
    esac
    event target-ready kind=${kind:-file} target=$TARGET
}

# How A's interrupts are delivered: "KJUMP-EVENT platform when=WHEN
# apic=x2apic|xapic remap=x2apic|xapic|no disk_irqs=N disk_chip=CHIP",
# the APIC driver and the remapping mode from A's kernel log (read them
# before a workload could fill the log), and the interrupts of the first
# disk's (vda's virtio) vectors so far.
platform_event() {
    when=$1
    apic=xapic
    dmesg | grep -q "Switched APIC routing to: .*x2apic" && apic=x2apic
    remap=$(dmesg | sed -n 's/.*Enabled IRQ remapping in \([a-z0-9]*\) mode.*/\1/p' | head -n 1)
    # vda is the first virtio device; its request vectors are virtio0-*.
    set -- $(awk -v n="$(grep -c '^processor' /proc/cpuinfo)" '/virtio0-req/ {
        for (i = 2; i <= n + 1; i++) s += $i; chip = $(n + 2) } END { print s + 0, (chip == "" ? "none" : chip) }' /proc/interrupts)
    event platform when=$when apic=$apic remap=${remap:-no} disk_irqs=$1 disk_chip=$2
}

# Finds the target an earlier boot set up, without touching it.
locate_target() {
    kind=$(sed -n 's/.*kjump\.target=\([^ ]*\).*/\1/p' /proc/cmdline)
    mount_data
    case "$kind" in
    file|"")
        TARGET=/data/kjump/image
        ;;
    partition)
        TARGET=PARTUUID=$(sed -n 's/.*kjump\.partuuid=\([^ ]*\).*/\1/p' /proc/cmdline)
        ;;
    esac
}

# The network: QEMU's user network answers HTTP for the rig at 10.0.2.2.
network_check() {
    port=$(sed -n 's/.*kjump\.http=\([0-9]*\).*/\1/p' /proc/cmdline)
    [ -n "$port" ] || return 0
    ip link set eth0 up 2>/dev/null
    ip addr add 10.0.2.15/24 dev eth0 2>/dev/null
    # busybox-static's wget crashes in static glibc's resolver: plain nc.
    token=$(printf 'GET /token HTTP/1.0\r\n\r\n' | nc -w 60 10.0.2.2 "$port" | tail -n 1) ||
        fail "network: the request to the host failed ($1)"
    [ "$token" = kjump-network-ok ] || fail "network: wrong answer '$token' ($1)"
    echo "network works ($1)"
}

# RAM in use up to PERCENT of MemTotal, half of it clean page cache of a
# file on the disk, the rest (what the workload does not already use)
# incompressible anonymous memory of a live process (fill_verify checks it).
fill_memory() {
    total=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
    goal=$((total * $1 / 100))
    dd if=/dev/urandom of=/data/cache bs=1M count=$((goal / 2)) 2>/dev/null || fail "cannot write /data/cache"
    sync
    used=$(awk '/^MemTotal:/ { t = $2 } /^MemFree:/ { f = $2 } END { print int((t - f) / 1024) }' /proc/meminfo)
    if [ "$used" -lt "$goal" ]; then
        mkdir -p "$KJUMP_STATE/fill"
        kjump-memhog --size "$((goal - used))M" --pattern random --seed 5 --state "$KJUMP_STATE/fill" &
        echo $! > "$KJUMP_STATE/fill.pid"
        n=0
        while [ ! -e "$KJUMP_STATE/fill/ready" ]; do
            n=$((n + 1)); [ $n -lt 6000 ] || fail "the fill process never became ready"
            sleep 0.1
        done
    fi
    event memory $(awk '/^(MemTotal|MemFree|Cached):/ { printf "%s=%d ", $1, $2 / 1024 }' /proc/meminfo | tr -d :)
}

fill_verify() {
    [ -e "$KJUMP_STATE/fill.pid" ] || return 0
    rm -f "$KJUMP_STATE/fill/result"
    kill -USR1 "$(cat "$KJUMP_STATE/fill.pid")" || fail "the fill process is gone"
    n=0
    while [ ! -e "$KJUMP_STATE/fill/result" ]; do
        n=$((n + 1)); [ $n -lt 6000 ] || fail "the fill process never answered"
        sleep 0.1
    done
    [ "$(cat "$KJUMP_STATE/fill/result")" = ok ] || fail "the fill process's memory: $(cat "$KJUMP_STATE/fill/result")"
}

# A file written just before the jump, still dirty in the page cache.
write_dirty_file() {
    dd if=/dev/urandom of=/data/dirty bs=1M count=8 2>/dev/null || fail "cannot write /data/dirty"
    sha256sum /data/dirty > "$KJUMP_STATE/dirty.sha256" || fail "cannot hash /data/dirty"
}
