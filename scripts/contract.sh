#!/usr/bin/env bash
# The REST API checked against its own OpenAPI description
# (/api/openapi.json, generated from the code) by schemathesis, on a live
# server with seeded data: every operation, as an ingest key, as a read
# key and with no key, with schemathesis' default checks — no 5xx, every
# answer matching its documented schema, status code and content type.
# Called by scripts/test.sh after the integration tests (it runs their
# debug binary); runs on its own port and SQLite file, and stops the
# server on exit.
#
# Left out, and why:
# - GET /api/telemetry/stream: an SSE stream never ends, so no answer
#   completes (its contract is tested in server/tests/it/api.rs and promises.rs).
# - positive_data_acceptance / negative_data_rejection: the ingest bodies
#   are described as JSON objects, but what makes an event valid (non-blank
#   names, a 16 KiB meta, four usage formats) is richer than the schema;
#   the 400s name each field (server/tests/it/api.rs checks them).
# - ignored_auth: a caller may use a session, a key or a bearer token; with
#   our valid key sent on every request, schemathesis' invalid credential
#   for another of them is rightly ignored.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${FLOWMETER_BIN:-target/debug/server}"
PORT="${FLOWMETER_CONTRACT_PORT:-3951}"
KEY="contract-$RANDOM$RANDOM"
EXAMPLES="${CONTRACT_EXAMPLES:-25}"
THROWAWAY_NAME=contract
source scripts/throwaway_server.sh

export INGEST_API_KEYS="$KEY" SIMULATOR_ENABLED=false LEPTOS_SITE_ROOT=target/site RUST_LOG=warn ALERT_INTERVAL_SECS=3600
throwaway_start

# Data to answer with: the simulator's fixed-seed turns, and an export job.
"$BIN" simulate --seed 7 --turns 24 --burst --base-url "$URL" --api-key "$KEY" >/dev/null || fail "seeding"
# A read key, made in the admin area by a signed-in admin.
curl -sf -c "$TMP/jar" -H 'content-type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$URL/api/auth/login" >/dev/null || fail "sign-in"
READ_KEY="$(curl -sf -b "$TMP/jar" -H "origin: $URL" -d 'name=contract&scope=read' "$URL/api/admin/keys/create" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)[1])')" || fail "creating a read key"
curl -sf -X POST -H "x-api-key: $READ_KEY" "$URL/api/exports?range=24h&format=csv" >/dev/null || fail "an export job"

ST=(.venv/bin/st run "$URL/api/openapi.json" --exclude-path /api/telemetry/stream
  --exclude-checks positive_data_acceptance,negative_data_rejection,ignored_auth
  --max-examples "$EXAMPLES" --request-timeout 20 --seed 7 --no-color)
for who in "ingest key" "read key" "no key"; do
  echo "==> contract: schemathesis as $who"
  case "$who" in
    "ingest key") "${ST[@]}" -H "X-API-Key: $KEY" ;;
    "read key") "${ST[@]}" -H "X-API-Key: $READ_KEY" ;;
    *) "${ST[@]}" ;;
  esac > "$TMP/st.log" 2>&1 || { cat "$TMP/st.log"; fail "schemathesis as $who"; }
  grep -E "generated|passed" "$TMP/st.log" | tail -n 1
done
echo "contract: every operation matches its description"
