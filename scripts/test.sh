#!/usr/bin/env bash
# Runs the suite on SQLite and on PostgreSQL, with a throw-away PostgreSQL and Redis on
# 127.0.0.1; installs both, libfaketime (end-to-end tests move the bot's days forward),
# fonts-noto-cjk (the /stats chart's Chinese labels), nginx and openssl (the deploy set-up's
# proxy, run in front of three workers) from Debian's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root to install $*; install postgresql and redis-server yourself" >&2; exit 1; fi; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

has_faketime() { ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1; }

has_cjk_font() { ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1; }

has_nginx() { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }

if [ -z "$(pg_bin)" ] || ! command -v redis-server >/dev/null || ! has_faketime || ! has_cjk_font \
  || ! has_nginx || ! command -v openssl >/dev/null; then
  echo "installing postgresql, redis-server, libfaketime, fonts-noto-cjk, nginx and openssl" \
    "from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    postgresql redis-server libfaketime fonts-noto-cjk nginx openssl >/dev/null
fi
PG_BIN=$(pg_bin)

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d /tmp/fanbot-test.XXXXXX)
PG_PORT=$(free_port)
REDIS_PORT=$(free_port)
PG_DATA="$WORK/pg"

as_db() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

cleanup() {
  as_db "$PG_BIN/pg_ctl -D $PG_DATA -m fast stop" >/dev/null 2>&1 || true
  [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$PG_DATA"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK"
as_db "$PG_BIN/initdb -D $PG_DATA -A trust -U postgres -E UTF8 --no-locale" >/dev/null
as_db "$PG_BIN/pg_ctl -D $PG_DATA -w -l $PG_DATA/server.log \
  -o \"-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >/dev/null
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --pidfile "$WORK/redis.pid" \
  --dir "$WORK" --save "" --appendonly no >/dev/null

# The two suites run side by side, each in 2 workers (a test module stays on one worker): most
# of an end-to-end test is waiting on a bot process or on a time limit, so on two cores this
# takes little more than the slowest modules. Each suite gets its own Redis db.
status=0
echo "== suites on SQLite and on PostgreSQL (127.0.0.1:$PG_PORT), side by side"
env -u TEST_DATABASE_URL TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" \
  $PY -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@" >"$WORK/sqlite.log" 2>&1 &
sqlite=$!
TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres" \
  TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1" \
  $PY -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@" >"$WORK/postgres.log" 2>&1 &
postgres=$!
wait $sqlite || status=1
echo "== suite on SQLite"
cat "$WORK/sqlite.log"
wait $postgres || status=1
echo "== suite on PostgreSQL"
cat "$WORK/postgres.log"
exit $status
