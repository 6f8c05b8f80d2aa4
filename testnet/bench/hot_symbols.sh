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
# One node runs under valgrind's callgrind, which records every function
# executed (exact, unlike sampling), but without --events-json: rustix's
# vDSO lookup, which the event printer's clock uses, crashes under valgrind.
# Two of the four other nodes, with --events-json, are sampled with perf
# to add what the valgrind node did not run. Needs valgrind, perf and a
# release build:
#   cargo build --release -p lifebuoy-cli && testnet/bench/hot_symbols.sh
# Bounded: about 100 s; kills every process it starts.
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
for i in 1 2 3; do
    rec=()
    [ "$i" -lt 3 ] && rec=(perf record -q -F 5000 -o "$D/perf$i.data" --)
    # shellcheck disable=SC2046
    "${rec[@]}" "$B" run $(node $i "$seed") >"$D/n$i.out" 2>&1 &
    pids+=($!)
done
# shellcheck disable=SC2046
valgrind --tool=callgrind --demangle=no --dump-instr=no --compress-strings=no \
    --callgrind-out-file="$D/callgrind.out" \
    "$B" run $(node 4 "$seed" | sed 's/--events-json //') >"$D/n4.out" 2>&1 &
vg=$!
pids+=("$vg")
sleep 45
kill -9 "${pids[3]}" # n3: the others detect it
sleep 30
curl -s -m 5 "http://127.0.0.1:$((base + 104))/v1/members" >/dev/null || true
kill -TERM "$vg" # graceful leave; callgrind writes its profile on exit
kill -INT "${pids[1]}" "${pids[2]}" # perf stops and writes its data
for _ in $(seq 60); do kill -0 "$vg" 2>/dev/null || break; sleep 1; done
sleep 2

# Every function named as executed (fn=) or called (cfn=), keeping only the
# binary's own symbols (not libc's), in a stable order.
nm --defined-only "$B" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$D/own"
grep -E '^c?fn=' "$D/callgrind.out" | sed -E 's/^c?fn=(\([0-9]+\) ?)?//' |
    grep -v '^$' >"$D/ran"
for i in 1 2; do
    perf script -i "$D/perf$i.data" -F dso,sym --no-demangle 2>/dev/null |
        awk -v b="$(basename "$B")" 'index($0, b) {print $1}' >>"$D/ran"
done
sort -u -o "$D/ran" "$D/ran"
comm -12 "$D/own" "$D/ran" >"$OUT"
echo "$(wc -l <"$OUT") of $(wc -l <"$D/own") functions executed; written to $OUT" >&2
