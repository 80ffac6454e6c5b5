#!/usr/bin/env bash
# Runs every test: formatting and lints, unit and integration tests (on
# SQLite and on a real PostgreSQL and Redis this script starts and stops),
# the release build users run (scripts/run.sh) with a smoke test of its
# binary, and Playwright against real servers of that build in Debian's
# Chromium (one of them two replicas behind nginx). Installs whatever is
# missing first (scripts/setup.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "==> test: $name"
  "$@"
  echo "    test: $name done in $((SECONDS - t0)) s"
}

T0=$SECONDS
# A full run on a fresh clone leaves 4.3 GB in target/ (debug tests 2.1,
# the release server 1.6, the WASM 0.7); say how much disk is free first,
# so a full disk is named before it shows as a linker's bus error.
echo "==> disk: $(df -h --output=avail "$ROOT" | tail -1 | tr -d ' ') free where target/ lives"
scripts/setup.sh --test

step "formatting (cargo fmt --check)" cargo fmt --all --check
step "alert rules (promtool check rules, test rules)" bash -c \
  'cd deploy/prometheus && promtool check rules alerts.yml && promtool test rules alerts_test.yml'


source scripts/postgres.sh
source scripts/redis.sh
trap 'pg_stop; redis_stop' EXIT
step "start postgres" pg_start
step "start redis" redis_start

# cargo-leptos builds debug servers with `--cfg erase_components`; the same
# flag here lets the tests, the lints and the site share compiled artifacts.
SHARED=(env RUSTFLAGS="--cfg erase_components")
step "unit and integration tests (SQLite and Postgres)" "${SHARED[@]}" cargo test --locked
step "the REST API against its OpenAPI description (schemathesis)" scripts/contract.sh
step "lints (cargo clippy --all-targets -D warnings)" "${SHARED[@]}" cargo clippy --locked --all-targets -- -D warnings
# The end-to-end tests run the release build users run (scripts/run.sh): one
# site build instead of a debug one and a release one, the slowest step on a
# fresh machine.
step "build the site (release, as scripts/run.sh does)" scripts/build-site.sh
step "smoke test of the release binary" scripts/smoke.sh
step "end-to-end tests (Playwright, Chromium, the release build)" \
  env FLOWMETER_BIN=target/release/server bash -c 'cd end2end && mkdir -p .tmp && npx playwright test'

echo "==> all tests passed in $((SECONDS - T0)) s; target/ holds $(du -sh target | cut -f1)"
