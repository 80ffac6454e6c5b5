#!/usr/bin/env bash
# Runs every test: unit and integration (on SQLite and on a real PostgreSQL
# this script starts and stops), then Playwright against real servers in
# Debian's Chromium. Installs whatever is missing first (scripts/setup.sh).
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
scripts/setup.sh --test

source scripts/postgres.sh
trap pg_stop EXIT
step "start postgres" pg_start

# cargo-leptos builds debug servers with `--cfg erase_components`; the same
# flag here lets the tests and the site share one set of compiled artifacts.
step "unit and integration tests (SQLite and Postgres)" \
  env RUSTFLAGS="--cfg erase_components" cargo test --locked -p app --features ssr -p server -p bench
step "build the site (debug)" cargo leptos build
step "end-to-end tests (Playwright, Chromium)" bash -c 'cd end2end && mkdir -p .tmp && npx playwright test'

echo "==> all tests passed in $((SECONDS - T0)) s"
