#!/bin/sh
# A workload of free-and-reuse churn, for the free-page skipping: memory
# is taken and given back in turns until the jump, so that A's free pages
# lie everywhere between the pages in use, and some were freed a moment
# before the freeze. Live processes hold checked data in between; a tmpfs
# file is written over a deleted one. Same interface as default.sh.
set -eu
state=${KJUMP_STATE:?}

start_hog() { # name size pattern seed
    mkdir -p "$state/$1"
    kjump-memhog --size "$2" --pattern "$3" --seed "$4" --state "$state/$1" &
    echo $! > "$state/$1.pid"
    n=0
    while [ ! -e "$state/$1/ready" ]; do
        n=$((n + 1)); [ $n -lt 6000 ] || { echo "memhog $1 never became ready" >&2; exit 1; }
        sleep 0.1
    done
}

case "$1" in
setup)
    start_hog a 160M random 11
    start_hog b 160M random 12
    start_hog c 80M text 13
    dd if=/dev/urandom of=/tmp/churn-gone bs=1M count=48 2>/dev/null
    # b's pages and the deleted file's go back to the allocator, between
    # a's and c's; d and the kept file take some of them again.
    kill "$(cat "$state/b.pid")"
    rm -f /tmp/churn-gone
    start_hog d 120M random 14
    dd if=/dev/urandom of=/tmp/churn-kept bs=1M count=48 2>/dev/null
    sha256sum /tmp/churn-kept > "$state/kept.sha256"
    # Until the freeze: a process that keeps taking and freeing memory.
    ( while :; do dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum >/dev/null; done ) &
    echo $! > "$state/churner.pid"
    ;;
verify)
    for h in a c d; do
        pid=$(cat "$state/$h.pid")
        kill -0 "$pid" || { echo "memhog $h is gone" >&2; exit 1; }
        rm -f "$state/$h/result"
        kill -USR1 "$pid"
        n=0
        while [ ! -e "$state/$h/result" ]; do
            n=$((n + 1)); [ $n -lt 6000 ] || { echo "memhog $h never answered" >&2; exit 1; }
            sleep 0.1
        done
        [ "$(cat "$state/$h/result")" = ok ] || { echo "memhog $h: $(cat "$state/$h/result")" >&2; exit 1; }
    done
    sha256sum -c "$state/kept.sha256" >/dev/null || { echo "tmpfs file changed" >&2; exit 1; }
    kill "$(cat "$state/churner.pid")" 2>/dev/null || true
    echo "workload: three processes' memory (360 MiB) and a 48 MiB tmpfs file intact after the churn"
    ;;
*)
    echo "usage: $0 setup|verify" >&2
    exit 2
    ;;
esac
