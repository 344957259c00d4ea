# Root on btrfs, subvolume root (Fedora Workstation's default), the image
# file on root: NOCOW, mapped through the chunk tree; CoW, compressed and
# snapshot-shared files refused (layout-root.sh).
LAYOUT=btrfs
. /kjump-test/debian/layout-root.sh
