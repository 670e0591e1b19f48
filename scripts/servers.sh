# Sourced by test.sh and chaos.sh: installs what they need from Debian's packages when missing
# (postgresql, redis-server, libfaketime, fonts-noto-cjk, nginx, openssl, and chromium for the
# browser tests of the web console), then starts a
# throw-away PostgreSQL and Redis on 127.0.0.1 (PG_PORT, REDIS_PORT), removed on exit.
# shellcheck shell=bash
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root to install $*; install postgresql and redis-server yourself" >&2; exit 1; fi; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

has_faketime() { ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1; }

has_cjk_font() { ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1; }

has_nginx() { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }

has_chromium() { command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; }

if [ -z "$(pg_bin)" ] || ! command -v redis-server >/dev/null || ! has_faketime || ! has_cjk_font \
  || ! has_nginx || ! command -v openssl >/dev/null || ! has_chromium; then
  echo "installing postgresql, redis-server, libfaketime, fonts-noto-cjk, nginx, openssl and" \
    "chromium from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    postgresql redis-server libfaketime fonts-noto-cjk nginx openssl chromium >/dev/null
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

