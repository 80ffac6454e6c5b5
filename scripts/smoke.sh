#!/usr/bin/env bash
# Smoke test of the release binary — what `scripts/run.sh` serves: it
# starts, answers /api/ping, renders /login, serves its WASM compressed and
# built without panic messages (scripts/build-site.sh), takes an event
# and shows it in the history, and takes the OpenTelemetry
# Python example's spans (examples/otel_python.py) over OTLP; logs JSON
# lines (LOG_FORMAT=json). Called by scripts/test.sh after scripts/build-site.sh.
# Runs on its own port with a throwaway SQLite file; stops the server on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${FLOWMETER_BIN:-target/release/server}"
PORT="${FLOWMETER_SMOKE_PORT:-3917}"
KEY="smoke-$(date +%s)-$RANDOM"
THROWAWAY_NAME=smoke
source scripts/throwaway_server.sh

# Prints a request's status; its body is in $TMP/body.
request() {
  curl -sS -o "$TMP/body" -w '%{http_code}' "$@" || fail "curl $*"
}

export INGEST_API_KEYS="$KEY" SIMULATOR_ENABLED=false LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD
# The log as a shipper reads it: JSON lines on stdout (checked at the end).
export LOG_FORMAT=json RUST_LOG=info
# Budgets evaluated every second, so their gauge shows up in /metrics.
export ALERT_INTERVAL_SECS=1

throwaway_start
[[ "$(request "$URL/api/ping")" == 200 ]] || fail "/api/ping"
grep -q '"ok"' "$TMP/body" || fail "/api/ping body: $(cat "$TMP/body")"

[[ "$(request "$URL/login")" == 200 ]] || fail "/login status"
grep -q 'name="password"' "$TMP/body" || fail "/login has no sign-in form"
grep -q '/pkg/flowmeter' "$TMP/body" || fail "/login does not load the site's assets"

# The WASM is compressed once, in the background, after the start: served
# with brotli once that is done, decoding to the very file built.
WASM="$LEPTOS_SITE_ROOT/pkg/flowmeter.wasm"
encoding=""
for _ in $(seq 1 600); do
  encoding="$(curl -sS -o /dev/null -D - -H 'Accept-Encoding: br' "$URL/pkg/flowmeter.wasm" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "content-encoding" { print $2 }')"
  [[ "$encoding" == br ]] && break
  sleep 0.1
done
[[ "$encoding" == br ]] || fail "the WASM is not served compressed (Content-Encoding: '$encoding')"
curl -sS --compressed -H 'Accept-Encoding: br' "$URL/pkg/flowmeter.wasm" -o "$TMP/wasm" || fail "fetching the WASM"
cmp -s "$TMP/wasm" "$WASM" || fail "the WASM served does not decode to $WASM"
# Built as scripts/build-site.sh builds it: its panics are bare traps, so
# no source file's path is left in it (a plain `cargo leptos build
# --release` leaves about 190, with the panic machinery that prints them).
if grep -a -q -E '/src/[A-Za-z0-9_/.-]+\.rs' "$WASM"; then
  fail "the WASM carries panic locations: it was not built by scripts/build-site.sh"
fi

CHAT="smoke-chat-$RANDOM"
status="$(request -X POST "$URL/api/events" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d "{\"chatId\":\"$CHAT\",\"stage\":\"intent\",\"model\":\"gpt-4o\",\"usage\":{\"inputTokens\":100}}")"
[[ "$status" == 202 ]] || fail "POST /api/events: $status $(cat "$TMP/body")"

status="$(request -X POST "$URL/api/auth/login" -H 'Content-Type: application/json' -c "$TMP/cookies" \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}")"
[[ "$status" == 200 ]] || fail "sign-in: $status"
[[ "$(request -b "$TMP/cookies" "$URL/api/telemetry/history?chatId=$CHAT")" == 200 ]] || fail "history status"
grep -q "\"chatId\":\"$CHAT\"" "$TMP/body" || fail "the event is not in the history: $(cat "$TMP/body")"
grep -q '"costNanos":250000' "$TMP/body" || fail "the event was not priced: $(cat "$TMP/body")"

# The OpenTelemetry example a user would copy: the Python SDK's OTLP/HTTP
# exporter, its spans mapped and priced like native events.
OTEL_CHAT="smoke-otel-$RANDOM"
FLOWMETER_URL="$URL" FLOWMETER_KEY="$KEY" .venv/bin/python examples/otel_python.py "$OTEL_CHAT" >/dev/null ||
  fail "examples/otel_python.py"
[[ "$(request -b "$TMP/cookies" "$URL/api/telemetry/conversations?chatId=$OTEL_CHAT")" == 200 ]] ||
  fail "the OTLP conversation is not there: $(cat "$TMP/body")"
grep -q '"costNanos":4000000' "$TMP/body" || fail "the OTLP turn was not priced: $(cat "$TMP/body")"
grep -q '"stage":"tools"' "$TMP/body" || fail "the tool span is not a stage: $(cat "$TMP/body")"

# /metrics after that traffic: valid for promtool, and exposing every
# metric the Grafana dashboard and the alert rules query (a budget first,
# so its gauge has a series).
status="$(request -X POST "$URL/api/costs/budgets/save" -b "$TMP/cookies" -H "Origin: $URL" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data 'budget[name]=smoke&budget[scope]=global&budget[period]=daily&budget[limitUsd]=1')"
[[ "$status" == 200 ]] || fail "saving a budget: $status $(cat "$TMP/body")"
for _ in $(seq 1 100); do
  request "$URL/metrics" >/dev/null
  grep -q '^flowmeter_budget_used_ratio{budget="smoke"}' "$TMP/body" && break
  sleep 0.1
done
[[ "$(request "$URL/metrics")" == 200 ]] || fail "/metrics status"
promtool check metrics <"$TMP/body" || fail "promtool check metrics: $(promtool check metrics <"$TMP/body" 2>&1)"
python3 scripts/check-metric-names.py <"$TMP/body" >/dev/null || fail "the dashboard or the rules query metrics /metrics lacks"
grep -q '^flowmeter_cost_usd_total{model="gpt-4o",provider="none"} 0.00025$' "$TMP/body" ||
  fail "the cost counter does not hold the event's cost: $(grep flowmeter_cost "$TMP/body")"

# Every log line is one JSON object with a level and a message.
python3 - "$TMP/server.log" <<'PY' || fail "the JSON log does not parse line by line"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "no log lines"
for n, line in enumerate(lines, 1):
    entry = json.loads(line)
    assert entry.get("level") and entry.get("message") and entry.get("timestamp"), f"line {n}: {line}"
assert any(json.loads(l)["message"] == "Flowmeter is listening." for l in lines), "no start line"
PY

echo "    smoke: release binary serves /api/ping, /login, the WASM compressed, ingest, OTLP, history, /metrics and JSON logs"
