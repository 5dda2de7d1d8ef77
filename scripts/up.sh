#!/usr/bin/env bash
# up.sh starts the local development stack in the background:
#   1. PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set; else the ones
#      answering on 127.0.0.1:5432 / :6379 (PostgreSQL: if it lets user
#      postgres in without a password); else private instances under .dev/
#      started from the installed binaries (UP_SERVICES=private forces these).
#      On a fresh machine the missing servers are installed first where that
#      can be done unattended (Debian/Ubuntu as root: apt-get install
#      postgresql redis-server; UP_INSTALL=0 never installs); elsewhere it
#      prints the command to run.
#   2. a development inbox (Mailpit, scripts/mailpit.sh) for the worker's
#      emails, unless SMTP_ADDR is set or UP_MAILPIT=0;
#   3. builds bin/*, applies the migrations, and starts every binary of
#      BINARIES below that exists under apps/, waiting for each one's /readyz.
# Pids and logs go to .dev/run/. Running it again restarts the binaries.
# Settings come from the environment, then from .env (see .env.example).
# Stop everything with scripts/down.sh (go tool task down).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# The binaries, started in this order (the gateway reads the api's JWKS).
# One line each: name, its listen-address variable, its default port.
BINARIES=(
  "api     API_ADDR     8080"
  "gateway GATEWAY_ADDR 8081"
  "worker  WORKER_ADDR  8082"
  "web     WEB_ADDR     8083"
)

PRIVATE_PG_PORT=5439
PRIVATE_REDIS_PORT=6390

load_dotenv .env
mkdir -p "$RUN_DIR"

# --- PostgreSQL -------------------------------------------------------------

pg_answers() { # host port
  if have pg_isready; then pg_isready -q -h "$1" -p "$2" -t 2; else tcp_open "$1" "$2"; fi
}

# ensure_database creates database chatforge on the given port if missing.
ensure_database() { # port
  if ! have psql; then
    die "PostgreSQL answers on 127.0.0.1:$1 but psql is missing to create database chatforge: apt-get install postgresql-client, or set DATABASE_URL"
  fi
  local q=(psql -w -h 127.0.0.1 -p "$1" -U postgres -d postgres -tAq)
  local exists
  exists=$(PGCONNECT_TIMEOUT=5 "${q[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'chatforge'") ||
    die "cannot connect to PostgreSQL on 127.0.0.1:$1 as user postgres without a password; set DATABASE_URL"
  if [ "$exists" != 1 ]; then
    "${q[@]}" -c "CREATE DATABASE chatforge" >/dev/null
    say "created database chatforge on 127.0.0.1:$1"
  fi
}

# pg_accepts succeeds when PostgreSQL on 127.0.0.1:port lets user postgres
# in without a password (a distribution's fresh cluster asks for one on TCP).
pg_accepts() { # port
  PGCONNECT_TIMEOUT=5 psql -w -h 127.0.0.1 -p "$1" -U postgres -d postgres -tAqc 'SELECT 1' >/dev/null 2>&1
}

start_private_postgres() {
  local bindir
  bindir=$(postgres_bindir) || return 1
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then return 1; fi
  local data="$DEV_DIR/postgres"
  if pg_answers 127.0.0.1 "$PRIVATE_PG_PORT"; then return 0; fi
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres "$data"; fi
  chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising a private PostgreSQL in $data"
    as_db_user "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >"$RUN_DIR/initdb.log" 2>&1 ||
      die "initdb failed (see $RUN_DIR/initdb.log; as root the postgres user must be able to reach $data)"
  fi
  say "starting a private PostgreSQL on 127.0.0.1:$PRIVATE_PG_PORT"
  as_db_user "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
    -o "-p $PRIVATE_PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null ||
    die "PostgreSQL did not start (see $data/server.log)"
  echo "$bindir" >"$DEV_DIR/postgres.bindir"
}

resolve_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then return; fi
  local shared=false
  if [ "${UP_SERVICES:-}" != private ] && pg_answers 127.0.0.1 5432; then
    shared=true
    # One that wants a password: a private one instead, when we can start it.
    if have psql && ! pg_accepts 5432 && postgres_bindir >/dev/null; then
      say "PostgreSQL on 127.0.0.1:5432 wants a password for user postgres: using a private one (or set DATABASE_URL)"
      shared=false
    fi
  fi
  if $shared; then
    ensure_database 5432
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/chatforge?sslmode=disable"
  elif start_private_postgres; then
    ensure_database "$PRIVATE_PG_PORT"
    DATABASE_URL="postgres://postgres@127.0.0.1:$PRIVATE_PG_PORT/chatforge?sslmode=disable"
  else
    die "no PostgreSQL found: install PostgreSQL 15+ ($(install_hint postgresql)), or set DATABASE_URL"
  fi
}

# --- Redis ------------------------------------------------------------------

redis_answers() { # host port
  if have redis-cli; then [ "$(redis-cli -h "$1" -p "$2" ping 2>/dev/null)" = PONG ]; else tcp_open "$1" "$2"; fi
}

start_private_redis() {
  have redis-server || return 1
  if redis_answers 127.0.0.1 "$PRIVATE_REDIS_PORT"; then return 0; fi
  local dir="$DEV_DIR/redis"
  mkdir -p "$dir"
  say "starting a private Redis on 127.0.0.1:$PRIVATE_REDIS_PORT"
  redis-server --port "$PRIVATE_REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no
  wait_for 10 "Redis on port $PRIVATE_REDIS_PORT" redis_answers 127.0.0.1 "$PRIVATE_REDIS_PORT"
}

resolve_redis() {
  if [ -n "${REDIS_URL:-}" ]; then return; fi
  if [ "${UP_SERVICES:-}" != private ] && redis_answers 127.0.0.1 6379; then
    REDIS_URL="redis://127.0.0.1:6379/0"
  elif start_private_redis; then
    REDIS_URL="redis://127.0.0.1:$PRIVATE_REDIS_PORT/0"
  else
    die "no Redis found: install Redis 7 ($(install_hint redis-server)), or set REDIS_URL"
  fi
}

# --- installing what is missing ------------------------------------------------

# A failed install is not fatal here: resolve_* then name what is missing.
mapfile -t need < <(missing_packages)
if [ ${#need[@]} -gt 0 ]; then install_packages "${need[@]}" || true; fi

# --- binaries ---------------------------------------------------------------

resolve_postgres
resolve_redis
export DATABASE_URL REDIS_URL

# Addresses: the variable when set, else the default port.
declare -A ADDR
for line in "${BINARIES[@]}"; do
  read -r name var port <<<"$line"
  ADDR[$name]=${!var:-:$port}
  export "$var=${ADDR[$name]}"
done
api_url="http://localhost:$(addr_port "${ADDR[api]}")"
gateway_url="http://localhost:$(addr_port "${ADDR[gateway]}")"
web_url="http://localhost:$(addr_port "${ADDR[web]}")"
if [ -f apps/web/main.go ]; then
  # E-mail links (/verify-email, /reset-password) open the web app, which
  # calls the api and the gateway: tell it where they are, and let the api
  # accept its origin.
  export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-$web_url}
  export WEB_API_URL=${WEB_API_URL:-$api_url} WEB_GATEWAY_URL=${WEB_GATEWAY_URL:-$gateway_url}
  export CORS_ALLOWED_ORIGINS=${CORS_ALLOWED_ORIGINS:-$web_url,http://127.0.0.1:$(addr_port "${ADDR[web]}")}
else
  export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-$api_url}
fi
if [ -z "${JWT_PUBLIC_KEY_FILE:-}" ]; then # the gateway takes exactly one of the two
  export JWKS_URL=${JWKS_URL:-$api_url/.well-known/jwks.json}
fi
export APP_ENV=${APP_ENV:-development}

# Remembered for `go tool task migrate`.
{
  echo "DATABASE_URL=$DATABASE_URL"
  echo "REDIS_URL=$REDIS_URL"
} >"$DEV_DIR/stack.env"

# Development inbox for the worker's emails (scripts/mailpit.sh; its first
# start builds it, a minute or two). Skipped when SMTP_ADDR is set or
# UP_MAILPIT=0; a failure only costs the inbox.
inbox=""
if [ -f apps/worker/main.go ] && [ -f scripts/mailpit.sh ] && [ -z "${SMTP_ADDR:-}" ] && [ "${UP_MAILPIT:-1}" != 0 ]; then
  was_running=false
  if bash scripts/mailpit.sh status >/dev/null 2>&1; then was_running=true; fi
  if bash scripts/mailpit.sh start; then
    # down.sh stops the inbox only if this script started it.
    if ! $was_running; then touch "$RUN_DIR/mailpit.by-up"; fi
    export SMTP_ADDR=${MAILPIT_SMTP_ADDR:-127.0.0.1:1025}
    inbox="http://localhost:$(addr_port "${MAILPIT_UI_ADDR:-127.0.0.1:8025}")"
  else
    say "WARNING: no development inbox; emails stay queued until SMTP_ADDR points at a mail server"
  fi
fi

say "building binaries into bin/"
go build -o bin/ ./apps/... || die "build failed"

say "applying migrations"
bin/api migrate up >"$RUN_DIR/migrate.log" 2>&1 || {
  tail -n 20 "$RUN_DIR/migrate.log" >&2
  die "migrations failed (full log: $RUN_DIR/migrate.log)"
}

# Restart: stop what a previous run started, now that the new build is ready.
bash scripts/down.sh --apps-only

started=()
for line in "${BINARIES[@]}"; do
  read -r name var port <<<"$line"
  [ -f "apps/$name/main.go" ] || continue
  p=$(addr_port "${ADDR[$name]}")
  if tcp_open 127.0.0.1 "$p"; then
    die "port $p is already in use, so $name cannot listen on ${ADDR[$name]}; free it or set $var (e.g. $var=:$((p < 55000 ? p + 10000 : p - 10000)))"
  fi
  setsid nohup "bin/$name" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  if ! wait_ready "$name" "http://127.0.0.1:$p/readyz"; then
    tail -n 20 "$RUN_DIR/$name.log" >&2
    die "$name did not become ready (full log: $RUN_DIR/$name.log)"
  fi
  started+=("$name")
done

say "started: ${started[*]}"
printf '  %-9s %s\n' \
  "API" "$api_url" \
  "API docs" "$api_url/openapi.yaml" \
  "Metrics" "$api_url/metrics" \
  "Health" "$api_url/readyz"
for name in "${started[@]}"; do
  case $name in
  api) continue ;;
  web) printf '  %-9s %s\n' "Web" "$web_url" ;;
  *) printf '  %-9s %s\n' "$name" "http://localhost:$(addr_port "${ADDR[$name]}")" ;;
  esac
done
if [ -n "$inbox" ]; then printf '  %-9s %s\n' "Inbox" "$inbox"; fi
printf '  %-9s %s\n' "Logs" ".dev/run/<name>.log" "Database" "$(mask_url "$DATABASE_URL")" "Redis" "$(mask_url "$REDIS_URL")" \
  "Stop" "go tool task down"
