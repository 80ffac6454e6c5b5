#!/usr/bin/env bash
# The long checks that do not fit the test command (scripts/test.sh runs
# each once, small):
#
# 1. The crash test — the real server killed with SIGKILL mid-ingest,
#    restarted, and its database checked — repeated ROUNDS times (default
#    20) with CRASH_EVENTS events (default 100,000) per round, on SQLite
#    and on a Postgres this script starts on its own port and stops.
# 2. Each `cargo fuzz` target (fuzz/) for FUZZ_SECONDS (default 600),
#    starting from its corpus. A crash stops the script; copy the input
#    it names (fuzz/artifacts/<target>/) into fuzz/corpus/<target>/, where
#    the test command replays it from then on, and fix the fault.
#
#   scripts/soak.sh                                   # everything, about 1 h
#   ROUNDS=3 CRASH_EVENTS=20000 FUZZ_SECONDS=60 scripts/soak.sh
#   SOAK=fuzz scripts/soak.sh                         # only one part (crash|fuzz)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
ROUNDS="${ROUNDS:-20}"
FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
SOAK="${SOAK:-crash fuzz}"
export CRASH_EVENTS="${CRASH_EVENTS:-100000}"

scripts/setup.sh --test

crash() {
  source scripts/postgres.sh
  trap 'pg_stop' EXIT
  pg_start
  # Release: 100k events per round take seconds there, minutes in debug.
  RUSTFLAGS="--cfg erase_components" cargo test --locked --release -p server --test it --no-run
  local t0=$SECONDS
  for round in $(seq 1 "$ROUNDS"); do
    echo "==> soak: crash round $round of $ROUNDS ($CRASH_EVENTS events)"
    RUSTFLAGS="--cfg erase_components" cargo test --locked --release -p server --test it -- crash:: --nocapture --test-threads 1 2>&1 \
      | grep -E 'crash:|test result|panicked|FAILED'
  done
  echo "==> soak: $ROUNDS crash rounds on SQLite and Postgres survived, no acknowledged event lost ($((SECONDS - t0)) s)"
}

fuzz() {
  # cargo-fuzz from crates.io; its coverage flags need RUSTC_BOOTSTRAP on a
  # stable toolchain. No sanitizer: the targets are safe Rust, and what
  # is looked for is panics.
  command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
  export RUSTC_BOOTSTRAP=1
  cargo fuzz build -s none --fuzz-dir fuzz
  for target in $(cargo fuzz list --fuzz-dir fuzz); do
    echo "==> soak: fuzzing $target for $FUZZ_SECONDS s"
    # A copy of the corpus grows; the committed seeds stay as they are.
    mkdir -p "fuzz/target/corpus/$target"
    cp -n "fuzz/corpus/$target"/* "fuzz/target/corpus/$target/"
    cargo fuzz run -s none --fuzz-dir fuzz "$target" "fuzz/target/corpus/$target" -- \
      -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 2>&1 | grep -E '^stat::number_of_executed_units|^Done|crash|panicked|ERROR' || true
    [[ -z "$(ls -A "fuzz/artifacts/$target" 2>/dev/null)" ]] || { echo "soak: $target found a crash: fuzz/artifacts/$target" >&2; exit 1; }
  done
}

for part in $SOAK; do "$part"; done
