# Sourced by scripts/test.sh: a throwaway Redis for the tests, from Debian's
# package, on its own port, keeping nothing on disk. `redis_start` exports
# FLOWMETER_TEST_REDIS_URL; `redis_stop` stops it (safe to call twice).

REDIS_PORT="${FLOWMETER_TEST_REDIS_PORT:-56379}"

redis_stop() {
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

redis_start() {
  redis_stop # one left over by an interrupted run
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export FLOWMETER_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  echo "    redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$REDIS_PORT"
}
