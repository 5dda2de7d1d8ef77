#!/usr/bin/env bash
# bench-pinned.sh runs issue 18's conditions (go tool task bench:pinned, or
# BENCH_PINNED=1 go tool task bench): the servers on ONE core and the load
# on another, so a figure means "what one core carries".
#   - CPU BENCH_SERVER_CPU (0): the api, the gateways, a private PostgreSQL
#     (initdb'd into BENCH_PG_DATA, /tmp/chatforge-bench-pinned-pg by
#     default, fsync on, its log there in server.log; started under taskset:
#     every backend it forks inherits the core) and a private Redis;
#   - CPU BENCH_LOAD_CPU (1): the load tool and its shard processes.
# Each process is started under taskset -c, then checked with taskset -p
# (PostgreSQL's and Redis's with -a: every thread).
#
# Workloads (each bounded in time), with the per-hop breakdown of the
# message path (load hops) for each measured phase:
#   http       REST history pages and posts at 50 connections
#   idle       10,000 and 25,000 idle /ws sockets, each on fresh gateways
#              (at most 17,000 each: a process may open 20,000 files)
#   rooms      2,000 clients in 200 rooms of 10 at 0.25, 0.5, 1, 2, 4
#              msgs/s per client (500 to 8,000 stored msgs/s), one step
#              each on the same sockets, stopping at the first loss
#   broadcast  5,000 members of one room, 10 senders at 1 msg/s
# then writes tests/load/reports/<date>-pinned.{json,md} and
# latest-pinned.md, with issue 18's targets met or missed.
#
# Settings (environment): BENCH_WORKLOADS ("http idle rooms broadcast"),
# BENCH_SERVER_CPU, BENCH_LOAD_CPU, BENCH_RATES (0.25,0.5,1,2,4),
# BENCH_STEP_DURATION (30s, each rooms step), BENCH_CHAT_DURATION (30s,
# broadcast), BENCH_HTTP_DURATION (15s), BENCH_HOLD (15s, idle sockets),
# BENCH_IDLE ("10000 25000"), BENCH_ROOMS_CLIENTS (2000),
# BENCH_BROADCAST_CLIENTS (5000), BENCH_USERS (30000), BENCH_CHAT_GATEWAYS
# (1), BENCH_PG_OPTIONS (more postgres -c settings, e.g. pg_stat_statements
# to see a step's statements), BENCH_PPROF_PORT (unset: no pprof; set: the api's pprof listener
# on it and gateway i's on it+1+i, to profile a step by hand), ports (BENCH_PG_PORT 6441, BENCH_REDIS_PORT 6394, BENCH_API_PORT
# 18480, BENCH_GATEWAY_PORT 18500), BENCH_OUT, BENCH_NAME. A smoke run:
#   BENCH_IDLE=2000 BENCH_USERS=6000 BENCH_STEP_DURATION=5s BENCH_CHAT_DURATION=5s \
#     BENCH_HTTP_DURATION=4s BENCH_HOLD=4s BENCH_BROADCAST_CLIENTS=1000 go tool task bench:pinned
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SERVER_CPU=${BENCH_SERVER_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
PG_PORT=${BENCH_PG_PORT:-6441}
REDIS_PORT=${BENCH_REDIS_PORT:-6394}
API_PORT=${BENCH_API_PORT:-18480}
GW_PORT=${BENCH_GATEWAY_PORT:-18500} # gateway i listens on GW_PORT+i
WORKLOADS=${BENCH_WORKLOADS:-http idle rooms broadcast}
RATES=${BENCH_RATES:-0.25,0.5,1,2,4}
STEP=${BENCH_STEP_DURATION:-30s}
CHAT_DURATION=${BENCH_CHAT_DURATION:-30s}
HTTP_DURATION=${BENCH_HTTP_DURATION:-15s}
HTTP_CONCURRENCY=${BENCH_HTTP_CONCURRENCY:-50}
HTTP_USERS=${BENCH_HTTP_USERS:-10000}
HOLD=${BENCH_HOLD:-15s}
IDLE=${BENCH_IDLE:-10000 25000}
ROOMS_CLIENTS=${BENCH_ROOMS_CLIENTS:-2000}
BROADCAST_CLIENTS=${BENCH_BROADCAST_CLIENTS:-5000}
USERS=${BENCH_USERS:-30000}
CHAT_GATEWAYS=${BENCH_CHAT_GATEWAYS:-1}
PER_GATEWAY=17000
OUT=${BENCH_OUT:-tests/load/reports}
CONNECT_TIMEOUT=${BENCH_CONNECT_TIMEOUT:-120s}

BENCH_DIR=${BENCH_DIR:-$DEV_DIR/bench}
BIN=$BENCH_DIR/bin-pinned
NAME=${BENCH_NAME:-$(date -u +%Y-%m-%dT%H%MZ)-pinned}
RUN=$BENCH_DIR/run-$NAME
SEED=$BENCH_DIR/pinned-seed.json
# Outside .dev: as root, PostgreSQL runs as the postgres user, who must
# reach its directory.
PGDATA=${BENCH_PG_DATA:-${TMPDIR:-/tmp}/chatforge-bench-pinned-pg}
DB_NAME=chatforge_pinned
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB_NAME?sslmode=disable"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
API="http://127.0.0.1:$API_PORT"
KEY=$BENCH_DIR/pinned-jwt.pem

have taskset || die "taskset (util-linux) is needed for the pinned mode"
cores=$(nproc --all)
[ "$cores" -ge 2 ] || die "the pinned mode needs 2 cores (this machine has $cores)"
[ "$SERVER_CPU" != "$LOAD_CPU" ] || die "BENCH_SERVER_CPU and BENCH_LOAD_CPU must differ"
((SERVER_CPU < cores && LOAD_CPU < cores)) || die "CPUs $SERVER_CPU and $LOAD_CPU: this machine has CPUs 0..$((cores - 1))"
bindir=$(postgres_bindir) || die "PostgreSQL's server binaries (initdb, pg_ctl) are needed for the private, pinned PostgreSQL"
have redis-server || die "redis-server is needed for the private, pinned Redis"
mkdir -p "$RUN/logs" "$BIN"
ulimit -n "$(ulimit -Hn)"

PIDS=()
GW_PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}" "${GW_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" "${GW_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  [ -f "$PGDATA/postmaster.pid" ] && as_db_user "$bindir/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pinned PID CPU [-a]: checks (and sets) that PID runs on CPU only.
pin() {
  taskset $3 -p -c "$2" "$1" >/dev/null || die "cannot pin pid $1 to CPU $2"
  local got
  got=$(taskset -p "$1" | awk '{print $NF}')
  [ "$got" = "$(printf '%x' $((1 << $2)))" ] || die "pid $1 runs on mask $got, not CPU $2"
}
wait_http() { # NAME PID URL
  local i
  for ((i = 0; i < 150; i++)); do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$RUN/logs/$1.log" >&2; die "$1 exited during start-up"; }
    http_ok "$3" && return 0
    sleep 0.2
  done
  die "$1 not ready at $3 after 30s (log: $RUN/logs/$1.log)"
}
start() { # NAME BINARY VAR=VALUE...: on the server core
  local name=$1 bin=$2
  shift 2
  env "$@" setsid taskset -c "$SERVER_CPU" "$BIN/$bin" >"$RUN/logs/$name.log" 2>&1 </dev/null &
  LAST_PID=$!
}
has() { [[ " $WORKLOADS " == *" $1 "* ]]; }
join() { local IFS=$1; shift; echo "$*"; }
LOAD=(taskset -c "$LOAD_CPU" "$BIN/load")

say "building into $BIN"
go build -o "$BIN/" ./apps/api ./apps/gateway
go build -o "$BIN/load" ./tests/load
[ -f "$KEY" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEY" 2>/dev/null || die "openssl is needed for the signing key"

# --- private PostgreSQL and Redis on the server core -------------------------
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
  chmod 700 "$PGDATA"
  as_db_user "$bindir/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >"$RUN/logs/initdb.log" 2>&1 || die "initdb failed ($RUN/logs/initdb.log)"
fi
as_db_user "$bindir/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
# taskset before pg_ctl: the postmaster and every backend it forks inherit it.
as_db_user taskset -c "$SERVER_CPU" "$bindir/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 ${BENCH_PG_OPTIONS:-}" start >/dev/null ||
  die "PostgreSQL did not start ($PGDATA/server.log)"
pin "$(head -n1 "$PGDATA/postmaster.pid")" "$SERVER_CPU" -a
PGOPTIONS='-c client_min_messages=warning' psql -qX -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
  -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" || die "cannot create $DB_NAME"
DATABASE_URL=$DATABASE_URL "$BIN/api" migrate up >"$RUN/logs/migrate.log" 2>&1 || die "migrations failed ($RUN/logs/migrate.log)"

redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$BENCH_DIR" --pidfile "$BENCH_DIR/pinned-redis.pid" --logfile "$RUN/logs/redis.log" --maxclients 30000 >/dev/null
wait_for 10 "the pinned Redis" bash -c "[ \"\$(redis-cli -p $REDIS_PORT ping 2>/dev/null)\" = PONG ]"
pin "$(cat "$BENCH_DIR/pinned-redis.pid")" "$SERVER_CPU" -a

# --- the binaries on the server core ----------------------------------------
COMMON=(DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" APP_ENV=development LOG_LEVEL=warn)
start api api "${COMMON[@]}" ${BENCH_PPROF_PORT:+PPROF_ADDR=127.0.0.1:$BENCH_PPROF_PORT} API_ADDR="127.0.0.1:$API_PORT" PUBLIC_BASE_URL="$API" JWT_PRIVATE_KEY_FILE="$KEY"
API_PID=$LAST_PID
PIDS+=("$API_PID")
wait_http api "$API_PID" "$API/readyz"
pin "$API_PID" "$SERVER_CPU" -a

say "seeding $USERS users"
"${LOAD[@]}" seed -database-url "$DATABASE_URL" -key "$KEY" -users "$USERS" -out "$SEED" >"$RUN/seed.json"

# gateways N: (re)starts N fresh gateways (their memory is only this run's).
gateways() {
  local pid i
  for pid in "${GW_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${GW_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  GW_PIDS=() GW_URLS=()
  for ((i = 0; i < $1; i++)); do
    start "gateway$i" gateway "${COMMON[@]}" ${BENCH_PPROF_PORT:+PPROF_ADDR=127.0.0.1:$((BENCH_PPROF_PORT + 1 + i))} GATEWAY_ADDR="127.0.0.1:$((GW_PORT + i))" JWKS_URL="$API/.well-known/jwks.json"
    GW_PIDS+=("$LAST_PID") GW_URLS+=("http://127.0.0.1:$((GW_PORT + i))")
  done
  for ((i = 0; i < $1; i++)); do
    wait_http "gateway$i" "${GW_PIDS[$i]}" "${GW_URLS[$i]}/readyz"
    pin "${GW_PIDS[$i]}" "$SERVER_CPU" -a
  done
}
watch() { echo "api=$API_PID,postgres=$DB_NAME@$PGDATA,redis=redis-server 127.0.0.1:$REDIS_PORT,gateway=$(join + "${GW_PIDS[@]}")"; }
metrics() { # every /metrics page, for the per-hop breakdown
  local m="$API/metrics" u
  for u in "${GW_URLS[@]}"; do m+=",$u/metrics"; done
  echo "$m"
}

{
  echo "{"
  printf '  "mode": "pinned",\n'
  printf '  "server cpu": "%s",\n  "load cpu": "%s",\n' "$SERVER_CPU" "$LOAD_CPU"
  printf '  "stack": "api x1, %s gateway(s) for chat, a private PostgreSQL (fsync on, max_connections 200) and Redis, all on CPU %s; the load tool on CPU %s",\n' "$CHAT_GATEWAYS" "$SERVER_CPU" "$LOAD_CPU"
  printf '  "settings": "shipped defaults except LOG_LEVEL=warn",\n'
  printf '  "http": "history pages and posts, %s connections, %s measured after a 3s warm-up, %s users rotated",\n' "$HTTP_CONCURRENCY" "$HTTP_DURATION" "$HTTP_USERS"
  printf '  "idle": "%s idle /ws sockets, each run on fresh gateways (up to %s sockets each), held %s",\n' "$IDLE" "$PER_GATEWAY" "$HOLD"
  printf '  "rooms": "%s clients in rooms of 10 at %s msgs/s per client, %s per step, stopping at the first step with a loss",\n' "$ROOMS_CLIENTS" "$RATES" "$STEP"
  printf '  "broadcast": "%s members of one room, 10 senders at 1 msg/s for %s",\n' "$BROADCAST_CLIENTS" "$CHAT_DURATION"
  printf '  "load average before": "%s",\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '  "workloads": "%s"\n' "$WORKLOADS"
  echo "}"
} >"$RUN/settings.json"

gateways "$CHAT_GATEWAYS"
if has http; then
  for ep in history post; do
    "${LOAD[@]}" http -base "$API" -endpoint "$ep" -c "$HTTP_CONCURRENCY" -users "$HTTP_USERS" -duration "$HTTP_DURATION" -warmup 3s \
      -seed "$SEED" -watch "$(watch)" -hops-metrics "$(metrics)" -out "$RUN/http-$ep.json" || say "http $ep failed"
  done
fi
if has idle; then
  for n in $IDLE; do
    gateways $(((n + PER_GATEWAY - 1) / PER_GATEWAY))
    "${LOAD[@]}" connections -gateways "$(join , "${GW_URLS[@]}")" -clients "$n" -duration "$HOLD" -connect-timeout "$CONNECT_TIMEOUT" \
      -seed "$SEED" -watch "$(watch)" -out "$RUN/idle-$n.json" || say "idle $n failed"
  done
  gateways "$CHAT_GATEWAYS"
fi
CHAT_URLS=$(join , "${GW_URLS[@]}")
if has rooms; then
  "${LOAD[@]}" rooms -gateways "$CHAT_URLS" -clients "$ROOMS_CLIENTS" -rate "${RATES%%,*}" -duration "$STEP" \
    -knee-rates "$([[ $RATES == *,* ]] && echo "${RATES#*,}")" -knee-duration "$STEP" -stop-p99 0 -connect-timeout "$CONNECT_TIMEOUT" \
    -seed "$SEED" -watch "$(watch)" -hops-metrics "$API/metrics" -out "$RUN/rooms.json" || say "rooms failed"
fi
if has broadcast; then
  "${LOAD[@]}" broadcast -gateways "$CHAT_URLS" -clients "$BROADCAST_CLIENTS" -senders 10 -rate 1 -duration "$CHAT_DURATION" \
    -connect-timeout "$CONNECT_TIMEOUT" -seed "$SEED" -watch "$(watch)" -hops-metrics "$API/metrics" -out "$RUN/broadcast.json" || say "broadcast failed"
fi

# Not pinned: the report probes the machine (its cores among others).
"$BIN/load" report -in "$RUN" -out "$OUT" -name "$NAME" -database-url "$DATABASE_URL" -redis-url "$REDIS_URL"
say "done in ${SECONDS}s; raw results and logs in $RUN"
