# Root on btrfs on LUKS2, subvolume root (Fedora's encrypted layout), the
# image file on root; keyfile in the initramfs (layout-root.sh).
LAYOUT=btrfs-luks
. /kjump-test/debian/layout-root.sh
