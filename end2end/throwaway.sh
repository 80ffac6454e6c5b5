# Sourced by cluster.sh and outage.sh, with DB naming the database: a fresh
# Postgres database for this run (FLOWMETER_TEST_POSTGRES_URL, which
# scripts/test.sh starts), a scratch directory ($PREFIX), and on exit every
# process in PIDS stopped, the database dropped and the directory removed.
: "${FLOWMETER_TEST_POSTGRES_URL:?set by scripts/test.sh}" "${DB:?name the database}"
BIN="${FLOWMETER_BIN:-target/debug/server}"
PREFIX="$(mktemp -d)"
PIDS=()

stop() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$FLOWMETER_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$PREFIX"
}
trap stop EXIT
trap 'exit 0' INT TERM

psql -q "$FLOWMETER_TEST_POSTGRES_URL" -c "CREATE DATABASE $DB" >/dev/null
