#!/bin/sh
# Another workload: a tree of processes whose memory is sparse, zero and
# compressible text, and 300 small files in tmpfs. Same interface as
# default.sh ("setup" before the jump, "verify" after).
set -eu
state=${KJUMP_STATE:?}
case "$1" in
setup)
    for p in sparse zero text; do
        mkdir -p "$state/$p"
        ( kjump-memhog --size 120M --pattern $p --seed 7 --state "$state/$p" & echo $! > "$state/$p.pid"; wait ) &
    done
    mkdir -p /tmp/many
    i=0; while [ $i -lt 300 ]; do echo "file $i $(date +%N)" > /tmp/many/f$i; i=$((i+1)); done
    md5sum /tmp/many/* > "$state/many.md5"
    for p in sparse zero text; do
        n=0; while [ ! -e "$state/$p/ready" ]; do n=$((n+1)); [ $n -lt 6000 ] || exit 1; sleep 0.1; done
    done
    ;;
verify)
    for p in sparse zero text; do
        rm -f "$state/$p/result"; kill -USR1 "$(cat "$state/$p.pid")"
        n=0; while [ ! -e "$state/$p/result" ]; do n=$((n+1)); [ $n -lt 6000 ] || exit 1; sleep 0.1; done
        [ "$(cat "$state/$p/result")" = ok ] || { echo "$p: $(cat "$state/$p/result")"; exit 1; }
    done
    md5sum -c "$state/many.md5" >/dev/null
    echo "custom workload intact"
    ;;
esac
