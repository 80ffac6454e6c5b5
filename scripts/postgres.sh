# Sourced by scripts/test.sh: a throwaway PostgreSQL cluster for the tests,
# from Debian's packages, in its own directory and port so it never touches
# a system cluster. `pg_start` exports FLOWMETER_TEST_POSTGRES_URL; `pg_stop`
# stops it and removes its files (safe to call twice). The tests run it with
# fsync off (they never crash the machine); PG_FSYNC=on gives the durable
# setting the benchmarks measure.

PG_PORT="${FLOWMETER_TEST_PG_PORT:-55432}"
PG_DIR="${TMPDIR:-/tmp}/flowmeter-test-pg"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"

pg_as() { # runs a command as the postgres user when we are root (initdb refuses root)
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_stop() {
  if [[ -f "$PG_DIR/data/postmaster.pid" ]]; then
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
}

pg_start() {
  pg_stop # a cluster left over by an interrupted run
  mkdir -p "$PG_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$PG_DIR"
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U flowmeter --auth=trust -E UTF8 >/dev/null
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off} -c max_connections=200" start >/dev/null
  export FLOWMETER_TEST_POSTGRES_URL="postgres://flowmeter@127.0.0.1:$PG_PORT/postgres"
  echo "    postgres $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}
