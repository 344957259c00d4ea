# Helpers shared by the scenarios (sourced by the guest's /init).

# Prepares the image target named by kjump.target= (file or partition) and
# sets $TARGET. With an argument, the file target gets that size.
setup_target() {
    kind=$(sed -n 's/.*kjump\.target=\([^ ]*\).*/\1/p' /proc/cmdline)
    case "$kind" in
    file|"")
        mkdir -p /data
        mount -t ext4 /dev/vda /data || fail "cannot mount the guest's ext4 disk"
        mkdir -p /data/kjump
        TARGET=/data/kjump/image
        kjumpctl setup-target ${1:+--size "$1"} "$TARGET" || fail "kjumpctl setup-target failed"
        ;;
    partition)
        partuuid=$(sed -n 's/.*kjump\.partuuid=\([^ ]*\).*/\1/p' /proc/cmdline)
        TARGET=PARTUUID=$partuuid
        ;;
    *)
        fail "unknown target kind $kind"
        ;;
    esac
    event target-ready kind=${kind:-file} target=$TARGET
}

# A file written just before the jump, still dirty in the page cache.
write_dirty_file() {
    dd if=/dev/urandom of=/data/dirty bs=1M count=8 2>/dev/null
    sha256sum /data/dirty > "$KJUMP_STATE/dirty.sha256"
}
