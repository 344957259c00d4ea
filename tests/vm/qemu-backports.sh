#!/bin/bash
# QEMU from Debian's bookworm-backports, for the x2apic-hibernate scenario:
# bookworm's QEMU 7.2 cannot run a guest's APIC in x2APIC mode under TCG
# with an intel-iommu remapping its interrupts. The packages are fetched
# and checked by apt (the archive's signed Release file, the hashes of
# Packages and of each .deb), with a private state directory so the
# machine's own apt sources are left alone, and unpacked into the cache,
# not installed. Backports are built against bookworm: the binary runs
# with bookworm's libraries (checked below).
#
#   qemu-backports.sh [CACHE_DIR]
#
# Prints the directory holding usr/bin/qemu-system-x86_64 and
# usr/share/{qemu,seabios}.
set -euo pipefail

cache=${1:-${KJUMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kjump}}
suite=bookworm-backports
mirror=${KJUMP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
key=$(sha256sum "$0" | cut -c1-16)
out="$cache/qemu-backports-$key"

if [ -f "$out/.done" ]; then
    echo "$out"
    exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/qemu-backports.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
    > "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/none"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
          -o "APT::Architecture=amd64" -o "APT::Architectures=amd64" -o "APT::Get::List-Cleanup=0"
          -o "APT::Sandbox::User=$(id -un)")
echo "qemu-backports: fetching ${packages[*]} from $suite" >&2
apt-get "${apt_opts[@]}" -qq update >&2
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]/%//$suite}" >&2)
for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
done
bin="$work/root/usr/bin/qemu-system-x86_64"
if ldd "$bin" | grep -q "not found"; then
    echo "qemu-backports: $bin needs libraries bookworm does not have:" >&2
    ldd "$bin" | grep "not found" >&2
    exit 1
fi
"$bin" --version | head -1 >&2
touch "$work/root/.done"
rm -rf "$out"
mv "$work/root" "$out"
echo "$out"
