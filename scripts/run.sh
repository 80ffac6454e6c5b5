#!/usr/bin/env bash
# Builds and runs the dashboard on http://127.0.0.1:3000 with the embedded
# default (SQLite under ./data, in-process bus) and simulated traffic.
# Installs whatever is missing first (scripts/setup.sh). Settings: Leptos.toml,
# each key overridable by its environment variable (see README).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

scripts/setup.sh
echo "==> run: building the release site (the first build takes several minutes)"
scripts/build-site.sh
echo "==> run: starting Flowmeter"
LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD exec target/release/server serve "$@"
