#!/usr/bin/env bash
# One Flowmeter server on a fresh Postgres database reached through
# tcp-proxy.mjs, which outage.spec.ts cuts and restores to play a database
# outage under an open page. Needs FLOWMETER_TEST_POSTGRES_URL
# (scripts/test.sh starts Postgres). Ports: server 127.0.0.5:3330, proxy
# 3331, proxy control 3332. Runs in the foreground until stopped; stops
# everything it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

HOST=127.0.0.5
DB="fm_outage_$$"
source end2end/throwaway.sh
# postgres://user@host:port/db → the same database, through the proxy.
rest="${FLOWMETER_TEST_POSTGRES_URL#*://}"
userinfo="${rest%%@*}"
hostport="${rest#*@}"; hostport="${hostport%%/*}"
node end2end/tcp-proxy.mjs "$HOST:3331" "$hostport" "$HOST:3332" &
PIDS+=($!)
export DATABASE_URL="postgres://$userinfo@$HOST:3331/$DB"
export INGEST_API_KEYS="${E2E_KEY:?}" SIMULATOR_ENABLED=false LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  FLOWMETER_CONFIG="$PREFIX/none.toml" FLOWMETER_ADDRESS="$HOST:3330"
until (exec 3<>"/dev/tcp/$HOST/3331") 2>/dev/null; do sleep 0.1; done
echo "$E2E_ADMIN_PASSWORD" | "$BIN" create-admin --email "$E2E_ADMIN_EMAIL" >/dev/null
"$BIN" serve &
PIDS+=($!)
wait
