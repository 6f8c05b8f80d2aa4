#!/usr/bin/env bash
# Regenerates bin/lifebuoy/hot-symbols.txt: every function of the `lifebuoy`
# binary that `lifebuoy run` executes, in a small cluster, from start through
# join, probing, a member's SIGKILL and detection, to a graceful leave.
#
# The release link places these functions first and together (lld's
# --symbol-ordering-file, set by bin/lifebuoy/build.rs), so the pages a node
# faults in are the hot ones instead of 64 KB windows spread over the whole
# executable (docs/performance.md, "Memory").
#
# Eight nodes. Two run under valgrind's callgrind, which records every function
# executed (exact, unlike sampling), but without --events-json: rustix's
# vDSO lookup, which the event printer's clock uses, crashes under valgrind.
# Four of the six others, with --events-json, are sampled with perf
# to add what the valgrind node did not run. Needs valgrind, perf and a
# release build:
#   cargo build --release -p lifebuoy-cli && testnet/bench/hot_symbols.sh
# Bounded: about 100 s; kills every process it starts. MERGE=1 adds to
# the current list instead of replacing it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
B=${1:-$repo/target/release/lifebuoy}
OUT=${2:-$repo/bin/lifebuoy/hot-symbols.txt}
D=$(mktemp -d /tmp/lifebuoy-hot.XXXXXX)
base=$((20000 + RANDOM % 20000))
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        pkill -9 -P "$p" 2>/dev/null || true # a node under perf
        kill -9 "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT

node() { # index, extra args...
    local i=$1
    shift
    echo "--profile lan --events-json --name n$i --data-dir $D/n$i \
--listen /ip4/127.0.0.1/udp/$((base + i))/quic-v1 --api 127.0.0.1:$((base + 100 + i)) $*"
}
seed="--bootstrap /ip4/127.0.0.1/udp/$((base + 0))/quic-v1"

# shellcheck disable=SC2046
"$B" run $(node 0) >"$D/n0.out" 2>&1 &
pids+=($!)
sleep 1
perfs=()
for i in 1 2 3 4 5; do
    rec=()
    [ "$i" -le 4 ] && rec=(perf record -q -F 20000 -o "$D/perf$i.data" --)
    # shellcheck disable=SC2046
    "${rec[@]}" "$B" run $(node $i "$seed") >"$D/n$i.out" 2>&1 &
    pids+=($!)
    [ "$i" -le 4 ] && perfs+=($!)
done
vgs=()
for i in 6 7; do
    # shellcheck disable=SC2046
    valgrind --tool=callgrind --demangle=no --dump-instr=no --compress-strings=no \
        --callgrind-out-file="$D/callgrind$i.out" \
        "$B" run $(node $i "$seed" | sed 's/--events-json //') >"$D/n$i.out" 2>&1 &
    pids+=($!)
    vgs+=($!)
done
sleep 50
kill -9 "${pids[5]}" # n5: the others detect it
sleep 35
curl -s -m 5 "http://127.0.0.1:$((base + 106))/v1/members" >/dev/null || true
kill -TERM "${vgs[@]}" # graceful leave; callgrind writes its profile on exit
kill -INT "${perfs[@]}" # perf stops and writes its data
for v in "${vgs[@]}"; do
    for _ in $(seq 60); do kill -0 "$v" 2>/dev/null || break; sleep 1; done
done
sleep 2

# Every function named as executed (fn=) or called (cfn=), keeping only the
# binary's own symbols (not libc's), in a stable order.
nm --defined-only "$B" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$D/own"
cat "$D"/callgrind*.out | grep -E '^c?fn=' | sed -E 's/^c?fn=(\([0-9]+\) ?)?//' |
    grep -v '^$' >"$D/ran"
for i in 1 2 3 4; do
    perf script -i "$D/perf$i.data" -F dso,sym --no-demangle 2>/dev/null |
        awk -v b="$(basename "$B")" 'index($0, b) {print $1}' >>"$D/ran"
done
# MERGE=1 keeps what the current list names too (coverage accumulates).
[ "${MERGE:-0}" = 1 ] && [ -f "$OUT" ] && cat "$OUT" >>"$D/ran"
sort -u -o "$D/ran" "$D/ran"
comm -12 "$D/own" "$D/ran" >"$OUT"
echo "$(wc -l <"$OUT") of $(wc -l <"$D/own") functions executed; written to $OUT" >&2
