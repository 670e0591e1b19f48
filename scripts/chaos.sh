#!/usr/bin/env bash
# `make chaos`: bench/chaos.py against a throw-away PostgreSQL (its own Redis it starts itself,
# so it can stop it mid-run); installs what it needs from Debian's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

source scripts/servers.sh

timeout 600 $PY -m bench.chaos "postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres"
