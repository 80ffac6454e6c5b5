#!/usr/bin/env bash
# Two Flowmeter replicas on a fresh Postgres database and one Redis, behind
# nginx running deploy/nginx.conf — what cluster.spec.ts drives. Needs
# FLOWMETER_TEST_POSTGRES_URL and FLOWMETER_TEST_REDIS_URL (scripts/test.sh
# starts both). Ports: nginx 127.0.0.4:3320, replicas 3321 and 3322.
# Runs in the foreground until stopped; stops everything it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

: "${FLOWMETER_TEST_REDIS_URL:?set by scripts/test.sh}"
HOST=127.0.0.4
DB="fm_e2e_$$"
source end2end/throwaway.sh
export DATABASE_URL="${FLOWMETER_TEST_POSTGRES_URL%/*}/$DB"
export REDIS_URL="$FLOWMETER_TEST_REDIS_URL" REDIS_STREAM="e2e:$$" INGEST_API_KEYS="${E2E_KEY:?}"
export SIMULATOR_ENABLED=false LEPTOS_SITE_ROOT=target/site RUST_LOG=warn FLOWMETER_CONFIG="$PREFIX/none.toml"
echo "$E2E_ADMIN_PASSWORD" | "$BIN" create-admin --email "$E2E_ADMIN_EMAIL" >/dev/null

for port in 3321 3322; do
  FLOWMETER_ADDRESS="$HOST:$port" "$BIN" serve &
  PIDS+=($!)
done
sed -e "s/127.0.0.1:3001/$HOST:3321/; s/127.0.0.1:3002/$HOST:3322/; s/listen 127.0.0.1:8080/listen $HOST:3320/" \
  deploy/nginx.conf >"$PREFIX/nginx.conf"
nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -g "daemon off; pid $PREFIX/nginx.pid;" &
PIDS+=($!)
wait
