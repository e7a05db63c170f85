#!/usr/bin/env bash
# The multi-machine layout on one machine's loopback: PostgreSQL (the DuckLake catalog), a Prefect server, the
# deployments, process workers and one web process, each in the background with its log under $CLUSTER_DIR.
#
#   scripts/local-cluster.sh start     # start everything (idempotent: what runs already is left alone)
#   scripts/local-cluster.sh env       # the exports a client (archive-census, a browser session) needs
#   scripts/local-cluster.sh stop      # stop what start started, by the pids it recorded
#
# Settings (environment): CLUSTER_DIR (var/cluster), PG_PORT (55432), PREFECT_PORT (4200), WEB_PORT (8050, 0: no
# web process), WORKERS (2). No Docker: Debian's PostgreSQL binaries (apt-get install postgresql) and the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
CLUSTER_DIR="$(realpath -m "${CLUSTER_DIR:-var/cluster}")"
PG_PORT="${PG_PORT:-55432}"
PREFECT_PORT="${PREFECT_PORT:-4200}"
WEB_PORT="${WEB_PORT:-8050}"
WORKERS="${WORKERS:-2}"
VENV="${VENV:-$ROOT/.venv}"
PIDS="$CLUSTER_DIR/pids"
# Debian keeps initdb and pg_ctl out of PATH.
for bin in /usr/lib/postgresql/*/bin; do if [ -d "$bin" ]; then PATH="$PATH:$bin"; fi; done

cluster_env() {
  # What every process of the cluster shares: the warehouse, its data folder, the shared var folder, the server.
  cat <<EOF
export ARCHIVE_CENSUS_WAREHOUSE='ducklake:postgres:dbname=census host=127.0.0.1 port=$PG_PORT user=postgres'
export ARCHIVE_CENSUS_DATA_PATH='$CLUSTER_DIR/lake'
export ARCHIVE_CENSUS_VAR_DIR='$CLUSTER_DIR/var'
export PREFECT_API_URL='http://127.0.0.1:$PREFECT_PORT/api'
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
EOF
}

as_postgres() {
  # PostgreSQL refuses to run as root: run its programs as the postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() {  # wait_for WHAT COMMAND...: retry for two minutes
  local what="$1"; shift
  for _ in $(seq 1 240); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "$what did not come up; see $CLUSTER_DIR/*.log" >&2; exit 1
}

http_ok() {  # http_ok URL: the URL answers 200 (no curl needed)
  "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1"
}

running() { [ -f "$PIDS/$1" ] && kill -0 "$(cat "$PIDS/$1")" 2>/dev/null; }

background() {  # background NAME COMMAND...: start in its own session, log and pid under CLUSTER_DIR
  local name="$1"; shift
  running "$name" && return 0
  setsid "$@" >"$CLUSTER_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$PIDS/$name"
}

start() {
  command -v initdb >/dev/null || { echo "initdb not found: apt-get install postgresql" >&2; exit 2; }
  [ -x "$VENV/bin/archive-census" ] || { echo "no $VENV: run ./dev test or ./dev demo once first" >&2; exit 2; }
  mkdir -p "$PIDS" "$CLUSTER_DIR/lake" "$CLUSTER_DIR/var" "$CLUSTER_DIR/prefect"
  local pg="$CLUSTER_DIR/pg"
  if [ ! -d "$pg/data" ]; then
    mkdir -p "$pg"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg"
    as_postgres initdb -D "$pg/data" -A trust -U postgres >"$CLUSTER_DIR/initdb.log"
  fi
  if ! as_postgres pg_ctl -D "$pg/data" status >/dev/null 2>&1; then
    as_postgres pg_ctl -D "$pg/data" -o "-p $PG_PORT -k $pg -c listen_addresses=127.0.0.1" -l "$pg/log" -w start >/dev/null
  fi
  psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'census'" \
    | grep -q 1 || psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE census"
  eval "$(cluster_env)"
  export PREFECT_HOME="$CLUSTER_DIR/prefect" PREFECT_UI_ENABLED="${PREFECT_UI_ENABLED:-false}"
  background prefect-server "$VENV/bin/prefect" server start --host 127.0.0.1 --port "$PREFECT_PORT"
  wait_for "the Prefect server" http_ok "$PREFECT_API_URL/health"
  "$VENV/bin/archive-census" prefect deploy >"$CLUSTER_DIR/deploy.log"
  for i in $(seq 1 "$WORKERS"); do
    background "worker-$i" "$VENV/bin/prefect" worker start --pool archive-census --type process --name "worker-$i"
  done
  if [ "$WEB_PORT" != 0 ]; then
    background web "$VENV/bin/archive-census" serve --host 127.0.0.1 --port "$WEB_PORT"
    wait_for "the web process" http_ok "http://127.0.0.1:$WEB_PORT/login"
  fi
  echo "cluster up under $CLUSTER_DIR; for a client shell: eval \"\$(scripts/local-cluster.sh env)\"" >&2
}

stop() {
  if [ -d "$PIDS" ]; then
    for file in "$PIDS"/*; do
      [ -f "$file" ] || continue
      local pid; pid="$(cat "$file")"
      # Each was started in its own session: stop it and what it started (a worker's flow runs).
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      rm -f "$file"
    done
  fi
  if [ -d "$CLUSTER_DIR/pg/data" ]; then
    as_postgres pg_ctl -D "$CLUSTER_DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) cluster_env ;;
  *) echo "usage: scripts/local-cluster.sh start|env|stop" >&2; exit 2 ;;
esac
