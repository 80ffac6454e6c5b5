# Sourced by scripts/smoke.sh and scripts/contract.sh: one Flowmeter server
# of the script's own, on a throwaway SQLite file in $TMP, stopped (and
# $TMP removed) when the script exits, however it exits. The caller sets
# BIN, PORT and its name (for messages) as THROWAWAY_NAME before sourcing,
# exports the server's settings, then calls `throwaway_start`.

URL="http://127.0.0.1:$PORT"
TMP="$(mktemp -d)"
EMAIL="$THROWAWAY_NAME@flowmeter.local"
PASSWORD="$THROWAWAY_NAME password $RANDOM"
SERVER_PID=""

throwaway_stop() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap throwaway_stop EXIT

fail() {
  echo "$THROWAWAY_NAME: FAILED: $*" >&2
  echo "--- server log" >&2
  tail -n 40 "$TMP"/server.* 2>/dev/null >&2 || true
  exit 1
}

# Makes the admin ($EMAIL, $PASSWORD), starts `serve` (stdout into
# $TMP/server.log, stderr into $TMP/server.err) and waits until /api/ping
# answers: a condition, not a fixed sleep, within 60 s.
throwaway_start() {
  export FLOWMETER_CONFIG="$TMP/none.toml" DATABASE_URL="sqlite://$TMP/$THROWAWAY_NAME.db" FLOWMETER_ADDRESS="127.0.0.1:$PORT"
  echo "$PASSWORD" | "$BIN" create-admin --email "$EMAIL" >/dev/null || fail "create-admin"
  "$BIN" serve >"$TMP/server.log" 2>"$TMP/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    curl -sf "$URL/api/ping" >/dev/null 2>&1 && return
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited"
    sleep 0.1
  done
  fail "no answer from /api/ping within 60 s"
}
