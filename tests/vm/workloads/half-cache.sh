#!/bin/sh
# Bench workload "half used, half of that page cache": half of the guest's
# RAM in use, and half of that the page cache of files on a disk (clean,
# written and synced, as a machine's programs, libraries and documents are).
# The rest of the used half is anonymous memory of two live processes: one
# of random data (incompressible), one of compressible data, checked after.
#
# The cache file is made from the guest's own /usr (it compresses as
# programs and their data do), repeated until it is large enough; it lies
# on the root file system (or /tmp's disk in the minimal guest, which has
# no disk file system of its own: there it is tmpfs, and counted as such).
set -eu
state=${KJUMP_STATE:?}
kib() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }
wait_ready() {
    n=0
    while [ ! -e "$1/ready" ]; do
        n=$((n + 1)); [ $n -lt 6000 ] || { echo "memhog never became ready" >&2; exit 1; }
        sleep 0.1
    done
}
dir=/var/tmp/kjump-cache

case "$1" in
setup)
    total=$(kib MemTotal)
    mkdir -p "$dir" "$state/memhog" "$state/memhog2"
    # The page cache: files on disk up to a quarter of RAM with what is
    # cached already (reading /usr caches some too); never more than a
    # quarter of RAM written (on tmpfs the cache would never grow).
    written=0
    i=0
    while :; do
        want=$(( total / 4 - ($(kib Cached) - $(kib Shmem)) ))
        [ $want -lt $((total / 4 - written)) ] || want=$((total / 4 - written))
        [ $want -gt 1024 ] || break
        chunk=$(( want < 65536 ? want : 65536 ))
        if [ $i -eq 0 ]; then
            tar -cf - /usr/lib /usr/share /usr/bin 2>/dev/null | head -c $((chunk * 1024)) > "$dir/part-0"
        else
            head -c $((chunk * 1024)) "$dir/part-0" > "$dir/part-$i"
        fi
        got=$(( $(stat -c %s "$dir/part-$i") / 1024 ))
        [ $got -gt 0 ] || { echo "could not read /usr" >&2; exit 1; }
        written=$((written + got)); i=$((i + 1))
    done
    sync
    # Read back: the files are in the page cache, clean.
    (cd "$dir" && sha256sum part-* > "$state/cache.sha256")
    # Anonymous memory: the rest of half of RAM, half random, half compressible.
    used=$(( total - $(kib MemFree) ))
    anon=$(( total / 2 - used ))
    [ $anon -ge 65536 ] || anon=65536
    kjump-memhog --size $((anon / 2 / 1024))M --pattern random --seed 42 --state "$state/memhog" &
    echo $! > "$state/memhog.pid"
    kjump-memhog --size $((anon / 2 / 1024))M --pattern text --seed 7 --state "$state/memhog2" &
    echo $! > "$state/memhog2.pid"
    wait_ready "$state/memhog"
    wait_ready "$state/memhog2"
    echo "workload half-cache: $((total / 1024)) MiB of RAM, $(( ($(kib Cached) - $(kib Shmem)) / 1024 )) MiB file cache," \
         "$((anon / 1024)) MiB anonymous, $(( (total - $(kib MemFree)) / 1024 )) MiB in use"
    ;;
verify)
    for h in memhog memhog2; do
        pid=$(cat "$state/$h.pid")
        kill -0 "$pid" || { echo "$h is gone" >&2; exit 1; }
        rm -f "$state/$h/result"
        kill -USR1 "$pid"
        n=0
        while [ ! -e "$state/$h/result" ]; do
            n=$((n + 1)); [ $n -lt 6000 ] || { echo "$h never answered" >&2; exit 1; }
            sleep 0.1
        done
        [ "$(cat "$state/$h/result")" = ok ] || { echo "$h: $(cat "$state/$h/result")" >&2; exit 1; }
    done
    (cd "$dir" && sha256sum -c --quiet "$state/cache.sha256") || { echo "a cached file changed" >&2; exit 1; }
    echo "workload half-cache: anonymous memory and cached files intact"
    ;;
*)
    echo "usage: $0 setup|verify" >&2
    exit 2
    ;;
esac
