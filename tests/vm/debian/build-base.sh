#!/bin/bash
# Builds the base of the Debian 12 test guest (systemd, no swap) with
# debootstrap, cached as a tarball keyed by a hash of this script.
#   build-base.sh CACHE_DIR [initramfs-tools|dracut]   prints the tarball's path
# The second argument is what makes the guest's initramfs (default
# initramfs-tools, Debian's default; dracut is Debian's other one).
set -euo pipefail
cache=$1
initrd_tool=${2:-initramfs-tools}
case $initrd_tool in
initramfs-tools|dracut) ;;
*) echo "build-base: unknown initramfs tool $initrd_tool" >&2; exit 2 ;;
esac
mirror=${KJUMP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# polkitd fails to configure inside debootstrap's own run: it is installed
# afterwards with apt, with /proc mounted. zstd: initramfs-tools recommends
# it (minbase installs no recommends) and compresses with it, as on an
# installed Debian; without it the initramfs is gzip, which the emulated
# guests compress and unpack several times slower.
packages=systemd,systemd-sysv,dbus,udev,kmod,kexec-tools,$initrd_tool,zstd,libblkid1,liblz4-1,libzstd1,libxxhash0,libsodium23,libtss2-esys-3.0.2-0,libtss2-tcti-device0,libsystemd0,e2fsprogs,procps,util-linux,iproute2,stress-ng,upower
key=$( { echo "$mirror $packages"; cat "$0"; } | sha256sum | cut -c1-16)
out="$cache/debian-base-$key.tar"
if [ -f "$out" ]; then
    echo "$out"
    exit 0
fi
mkdir -p "$cache"
dir=$(mktemp -d "$cache/debootstrap.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "build-base: debootstrap bookworm into $dir" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$dir" "$mirror" >"$dir.log" 2>&1 ||
    { tail -30 "$dir.log" >&2; exit 1; }
rm -f "$dir.log"
mount -t proc proc "$dir/proc"
if ! { chroot "$dir" apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -q --no-install-recommends polkitd; } >"$dir.log" 2>&1; then
    umount "$dir/proc"
    tail -30 "$dir.log" >&2
    exit 1
fi
umount "$dir/proc"
rm -f "$dir.log"
echo kjump-guest > "$dir/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$dir/etc/fstab"
# The console belongs to the test: no login prompt on it.
chroot "$dir" systemctl mask serial-getty@ttyS0.service getty@tty1.service >/dev/null 2>&1
chroot "$dir" useradd -m -s /bin/bash tester
rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
tar -C "$dir" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"
