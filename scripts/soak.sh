#!/usr/bin/env bash
# The long checks that do not fit the test command (scripts/test.sh runs
# each once, small): the crash test — the real server killed with SIGKILL
# mid-ingest, restarted, and its database checked — repeated ROUNDS times
# (default 20) with CRASH_EVENTS events (default 100,000) per round, on
# SQLite and on a Postgres this script starts on its own port and stops.
# Prints the rounds survived and the events acknowledged before each kill.
#
#   scripts/soak.sh                  # 20 rounds of 100k events, both backends
#   ROUNDS=3 CRASH_EVENTS=20000 scripts/soak.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
ROUNDS="${ROUNDS:-20}"
export CRASH_EVENTS="${CRASH_EVENTS:-100000}"

scripts/setup.sh --test
source scripts/postgres.sh
trap 'pg_stop' EXIT
pg_start

export RUSTFLAGS="--cfg erase_components"
# Release: 100k events per round take seconds there, minutes in debug.
cargo test --locked --release -p server --test crash --no-run
T0=$SECONDS
for round in $(seq 1 "$ROUNDS"); do
  echo "==> soak: crash round $round of $ROUNDS ($CRASH_EVENTS events)"
  cargo test --locked --release -p server --test crash -- --nocapture --test-threads 1 2>&1 | grep -E '^crash:|test result|panicked|FAILED'
done
echo "==> soak: $ROUNDS rounds on SQLite and Postgres survived, no acknowledged event lost ($((SECONDS - T0)) s)"
