#!/usr/bin/env bash
# Runs the suite on SQLite and on PostgreSQL, with a throw-away PostgreSQL and Redis on
# 127.0.0.1; installs both, libfaketime (end-to-end tests move the bot's days forward),
# fonts-noto-cjk (the /stats chart's Chinese labels), nginx and openssl (the deploy set-up's
# proxy, run in front of three workers) from Debian's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

source scripts/servers.sh

# CLOCK_SHIFT=+365d (or -365d, any libfaketime offset) runs the whole suite, bots, sandbox and
# browser alike (the servers keep theirs: fanbot never asks a database the time), with the
# clock moved: no test may depend on the day it runs.
if [ -n "${CLOCK_SHIFT:-}" ]; then
  export LD_PRELOAD
  LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 | head -n 1)
  # A constant shift moves the monotonic clock too, harmlessly; leaving it real would make
  # libfaketime's clock_nanosleep (Python's time.sleep) fail with EINVAL.
  export FAKETIME="$CLOCK_SHIFT"
  echo "== the clock moved by $CLOCK_SHIFT: $(date -u '+%F %T UTC')"
fi

# The two suites run side by side, each in 2 workers (a test module stays on one worker): most
# of an end-to-end test is waiting on a bot process or on a time limit, so on two cores this
# takes little more than the slowest modules. Each suite gets its own Redis db.
status=0
echo "== suites on SQLite and on PostgreSQL (127.0.0.1:$PG_PORT), side by side"
env -u TEST_DATABASE_URL TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" \
  $PY -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15 "$@" >"$WORK/sqlite.log" 2>&1 &
sqlite=$!
TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres" \
  TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1" \
  $PY -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15 "$@" >"$WORK/postgres.log" 2>&1 &
postgres=$!
wait $sqlite || status=1
echo "== suite on SQLite"
cat "$WORK/sqlite.log"
wait $postgres || status=1
echo "== suite on PostgreSQL"
cat "$WORK/postgres.log"
exit $status
