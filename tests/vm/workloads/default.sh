#!/bin/sh
# The default workload of every scenario: 256 MiB of a live process's
# anonymous memory filled with random data, and a tmpfs file of random
# data, both checked after the guest runs again.
#
# Called as "default.sh setup" before the jump and "default.sh verify"
# after it. $KJUMP_STATE is a directory that survives between the two
# (in RAM: it is part of what is being checked).
set -eu
state=${KJUMP_STATE:?}

case "$1" in
setup)
    mkdir -p "$state/memhog"
    kjump-memhog --size 256M --pattern random --seed 42 --state "$state/memhog" &
    echo $! > "$state/memhog.pid"
    mkdir -p /tmp/workload
    dd if=/dev/urandom of=/tmp/workload/random bs=1M count=96 2>/dev/null
    sha256sum /tmp/workload/random > "$state/random.sha256"
    # Wait until the process has filled its memory.
    i=0
    while [ ! -e "$state/memhog/ready" ]; do
        kill -0 "$(cat "$state/memhog.pid")" || { echo "memhog died" >&2; exit 1; }
        i=$((i + 1)); [ $i -lt 6000 ] || { echo "memhog never became ready" >&2; exit 1; }
        sleep 0.1
    done
    ;;
verify)
    pid=$(cat "$state/memhog.pid")
    kill -0 "$pid" || { echo "memhog is gone" >&2; exit 1; }
    rm -f "$state/memhog/result"
    kill -USR1 "$pid"
    i=0
    while [ ! -e "$state/memhog/result" ]; do
        i=$((i + 1)); [ $i -lt 6000 ] || { echo "memhog never answered" >&2; exit 1; }
        sleep 0.1
    done
    result=$(cat "$state/memhog/result")
    [ "$result" = ok ] || { echo "memhog: $result" >&2; exit 1; }
    sha256sum -c "$state/random.sha256" >/dev/null || { echo "tmpfs file changed" >&2; exit 1; }
    echo "workload: 256 MiB of anonymous memory and a 96 MiB tmpfs file intact"
    ;;
*)
    echo "usage: $0 setup|verify" >&2
    exit 2
    ;;
esac
