#!/bin/sh
# Bench workload: 1 GiB of random data used and freed first (as on a
# machine that has run a while: its free RAM holds old data), then the
# default workload (256 MiB random anonymous memory, 96 MiB tmpfs file).
set -eu
state=${KJUMP_STATE:?}
wait_ready() { n=0; while [ ! -e "$1/ready" ]; do n=$((n+1)); [ $n -lt 6000 ] || exit 1; sleep 0.1; done; }
case "$1" in
setup)
    mkdir -p "$state/gone" "$state/memhog"
    kjump-memhog --size 1024M --pattern random --seed 3 --state "$state/gone" &
    pid=$!; wait_ready "$state/gone"; kill $pid; wait $pid 2>/dev/null || true
    kjump-memhog --size 256M --pattern random --seed 42 --state "$state/memhog" &
    echo $! > "$state/memhog.pid"
    mkdir -p /tmp/workload
    dd if=/dev/urandom of=/tmp/workload/random bs=1M count=96 2>/dev/null
    sha256sum /tmp/workload/random > "$state/random.sha256"
    wait_ready "$state/memhog"
    ;;
verify)
    rm -f "$state/memhog/result"; kill -USR1 "$(cat "$state/memhog.pid")"
    n=0; while [ ! -e "$state/memhog/result" ]; do n=$((n+1)); [ $n -lt 6000 ] || exit 1; sleep 0.1; done
    [ "$(cat "$state/memhog/result")" = ok ] || exit 1
    sha256sum -c "$state/random.sha256" >/dev/null
    echo "freed workload intact"
    ;;
esac
