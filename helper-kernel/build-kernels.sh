#!/bin/bash
# Build the test guest's kernel ("A") and the helper kernel from Debian's
# linux-source-6.12 package. Each kernel is cached in a directory keyed by
# a hash of its inputs (source tarball, its config fragment, this script),
# so a warm run costs nothing and changing one fragment rebuilds one kernel.
#
#   build-kernels.sh [CACHE_DIR]
#
# Prints two lines, "helper DIR" and "guest DIR"; each DIR holds bzImage
# and config.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${KJUMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kjump}}
tarball=${KJUMP_LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
jobs=${KJUMP_JOBS:-$(( $(nproc) + 1 ))}

if [ ! -r "$tarball" ]; then
    echo "build-kernels: $tarball not found (apt-get install linux-source-6.12)" >&2
    exit 1
fi

mkdir -p "$cache"
work=
src=
cleanup() { [ -z "$work" ] || rm -rf "$work"; }
trap cleanup EXIT

unpack() {
    [ -z "$src" ] || return 0
    work=$(mktemp -d "$cache/build.XXXXXX")
    echo "build-kernels: unpacking $tarball" >&2
    tar -C "$work" -xf "$tarball"
    src=$(echo "$work"/linux-source-*)
}

# build NAME BASE_TARGET FRAGMENT [EXTRA_FRAGMENT_IN_TREE...]
build() {
    local name=$1 base=$2 frag=$3
    shift 3
    # The tarball's path, size and mtime stand for its content: hashing
    # 150 MB on every run would cost seconds for nothing.
    local key out
    key=$( { stat -c '%n %s %Y' "$tarball"; echo "$base $*"; cat "$frag" "$0"; } | sha256sum | cut -c1-16)
    out="$cache/$name-$key"
    if [ -f "$out/.done" ]; then
        echo "$name $out"
        return 0
    fi
    unpack
    local obj="$work/obj-$name" extra=() f
    for f in "$@"; do extra+=("$src/$f"); done
    mkdir -p "$obj"
    echo "build-kernels: configuring $name ($base + $(basename "$frag"))" >&2
    make -s -C "$src" O="$obj" "$base" >&2
    (cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" .config "${extra[@]}" "$frag" \
        >"$work/merge-$name.log" 2>&1) || { cat "$work/merge-$name.log" >&2; exit 1; }
    make -s -C "$src" O="$obj" olddefconfig >&2
    # Every option the fragment asks for must have survived olddefconfig.
    local missing=0 line sym
    while IFS= read -r line; do
        case "$line" in
        CONFIG_*=*)
            grep -qxF "$line" "$obj/.config" || { echo "build-kernels: $name: '$line' did not stick" >&2; missing=1; } ;;
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            ! grep -q "^$sym=" "$obj/.config" || { echo "build-kernels: $name: '$line' did not stick" >&2; missing=1; } ;;
        esac
    done < "$frag"
    [ "$missing" = 0 ] || exit 1
    echo "build-kernels: building $name with -j$jobs" >&2
    local t0=$SECONDS
    make -s -C "$src" O="$obj" -j"$jobs" bzImage >&2
    echo "build-kernels: $name built in $((SECONDS - t0)) s" >&2
    rm -rf "$out.tmp"
    mkdir -p "$out.tmp"
    cp "$obj/arch/x86/boot/bzImage" "$out.tmp/bzImage"
    cp "$obj/.config" "$out.tmp/config"
    touch "$out.tmp/.done"
    rm -rf "$out"
    mv "$out.tmp" "$out"
    rm -rf "$obj"
    echo "$name $out"
}

build helper tinyconfig "$here/helper.config"
build guest x86_64_defconfig "$here/guest.config" kernel/configs/kvm_guest.config
