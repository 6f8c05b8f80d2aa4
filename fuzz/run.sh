#!/usr/bin/env bash
# Fuzzes the wire decoder with libFuzzer on the stable toolchain, without
# cargo-fuzz: `bash fuzz/run.sh [SECONDS] [extra libFuzzer flags]`.
# RUSTC_BOOTSTRAP=1 unlocks -Zsanitizer on stable; the sancov flags are the
# ones cargo-fuzz passes. The corpus lives in fuzz/corpus/wire_decode (kept
# between runs), crashes in fuzz/artifacts/wire_decode.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Zsanitizer=address \
-Cdebug-assertions -Coverflow-checks"
triple="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --quiet --target "$triple" --bin wire_decode
mkdir -p corpus/wire_decode artifacts/wire_decode
# seeds/: one valid message of every kind, from
# `cargo run -p lifebuoy-core --example fuzz_seeds -- fuzz/seeds`.
"$CARGO_TARGET_DIR/$triple/release/wire_decode" \
  -max_total_time="$secs" -rss_limit_mb=2048 -max_len=70000 -print_final_stats=1 \
  -artifact_prefix=artifacts/wire_decode/ "$@" corpus/wire_decode seeds
