#!/usr/bin/env bash
# bench.sh runs the standard benchmark suite (go tool task bench) against a
# stack of its own, started fresh and stopped at the end:
#   - database chatforge_bench, dropped and recreated, migrated, then seeded
#     in bulk by the load tool (users, sessions, rooms, history, tokens);
#   - a private Redis on port 6391 (no persistence, flushed), so neither the
#     data nor the CPU figures mix with the dev stack's or the tests';
#   - the api and enough gateways (each holds up to 17,000 sockets: a process
#     may open 20,000 files here) on ports of their own.
# It runs the workloads of tests/load (http, connections, rooms and its
# knee, broadcast), each bounded in time, then writes
# tests/load/reports/<date>.json and .md, and latest.md. The whole suite
# takes under 10 minutes on 2 cores (the first run also mints 100k tokens,
# ~1 minute per core; later runs reuse them from .dev/bench).
#
# Settings (environment): BENCH_PG (server URL without a database, default
# postgres://postgres@127.0.0.1:5432), BENCH_WORKLOADS (subset of
# "http connections rooms broadcast"), BENCH_USERS, BENCH_CONNECTIONS,
# BENCH_*_DURATION, BENCH_PROFILE (1, the default: CPU profiles of the
# binaries through PPROF_ADDR into the run directory, summarized in the
# report; 0: none), BENCH_PROFILE_SECONDS (4), BENCH_OUT. See the block below.
set -euo pipefail
cd "$(dirname "$0")/.."
# BENCH_PINNED=1: issue 18's conditions instead (servers on one core, the
# load on another): scripts/bench-pinned.sh.
if [ "${BENCH_PINNED:-0}" = 1 ]; then exec bash scripts/bench-pinned.sh; fi
source scripts/lib.sh

PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB_NAME=${BENCH_DB:-chatforge_bench}
REDIS_PORT=${BENCH_REDIS_PORT:-6391}
API_PORT=${BENCH_API_PORT:-18080}
GW_PORT=${BENCH_GATEWAY_PORT:-18100}   # gateway i listens on GW_PORT+i
PPROF_PORT=${BENCH_PPROF_PORT:-18200}  # api on PPROF_PORT, gateway i on PPROF_PORT+1+i
USERS=${BENCH_USERS:-100000}
CONNECTIONS=${BENCH_CONNECTIONS:-100000}
PER_GATEWAY=${BENCH_PER_GATEWAY:-17000}
CHAT_GATEWAYS=${BENCH_CHAT_GATEWAYS:-2}
HTTP_CONCURRENCY=${BENCH_HTTP_CONCURRENCY:-64}
HTTP_DURATION=${BENCH_HTTP_DURATION:-15s}
# The http endpoints measured: upload posts a 64 KiB file, upload-image a
# 640x480 PNG (thumbnailed), to the api's local storage under BENCH_DIR.
HTTP_ENDPOINTS=${BENCH_HTTP_ENDPOINTS:-cheap profile history post upload upload-image}
# Users the http workloads rotate over. Clients reuse an access token for
# its 15-minute life, and the api verifies a token once and then serves it
# from its cache: 10,000 users rotated by 64 connections reuse each token
# every ~1-2 s, as real clients do. 0 rotates every seeded user, so every
# request carries a token never seen (the RSA check each time).
HTTP_USERS=${BENCH_HTTP_USERS:-10000}
HOLD=${BENCH_HOLD:-15s}
CHAT_DURATION=${BENCH_CHAT_DURATION:-20s}
# msg/s per client, after the standard 1 msg/s, from low to high: the knee is
# the highest rate with p99 < 50 ms and everything delivered, and stepping
# stops at the first rate that misses it.
KNEE_RATES=${BENCH_KNEE_RATES:-0.1,0.25,0.5,2,4,8}
KNEE_DURATION=${BENCH_KNEE_DURATION:-10s}
CONNECT_TIMEOUT=${BENCH_CONNECT_TIMEOUT:-120s} # bounds each setup phase, so the suite ends in time
SUSTAIN_MINUTES=${BENCH_SUSTAIN_MINUTES:-10}
WORKLOADS=${BENCH_WORKLOADS:-http connections rooms broadcast} # add "sustained" for the 10-minute run
# CPU profiles of the api and the first gateway inside each measured phase.
# Profiling is not free here: http-only runs on this 2-core VM, one with
# and one without 12 s profiles, gave 19,926 vs 25,752 req/s on the cheap
# endpoint and 4,644 vs 5,554 history pages/s (posts the same). So each
# window is short (PROFILE_SECONDS, 4 s) and the figures of a workload
# lose only that part of their measured phase to it.
PROFILE=${BENCH_PROFILE:-1}
OUT=${BENCH_OUT:-tests/load/reports}

BENCH_DIR=${BENCH_DIR:-$DEV_DIR/bench}
BIN=$BENCH_DIR/bin
NAME=$(date -u +%Y-%m-%dT%H%MZ)
RUN=$BENCH_DIR/run-$NAME
SEED=$DEV_DIR/load/seed.json # next to the token cache, shared with manual runs
DATABASE_URL="$PG/$DB_NAME?sslmode=disable"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
API="http://127.0.0.1:$API_PORT"
mkdir -p "$RUN/logs" "$RUN/profiles"
ulimit -n "$(ulimit -Hn)" # every process gets the most files it may hold

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -f "$BENCH_DIR/redis.pid" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    rm -f "$BENCH_DIR/redis.pid"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # NAME PID URL
  local i
  for ((i = 0; i < 150; i++)); do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$RUN/logs/$1.log" >&2; die "$1 exited during start-up"; }
    http_ok "$3" && return 0
    sleep 0.2
  done
  die "$1 not ready at $3 after 30s (log: $RUN/logs/$1.log)"
}

# start NAME BINARY VAR=VALUE...: starts a binary with extra environment.
start() {
  local name=$1 bin=$2
  shift 2
  env "$@" setsid "$BIN/$bin" >"$RUN/logs/$name.log" 2>&1 </dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# seconds DURATION: a Go duration of whole seconds (15s, 2m, 1m30s) in
# seconds; 0 for any other form.
seconds() {
  [[ $1 =~ ^(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?$ ]] || { echo 0; return; }
  echo $((${BASH_REMATCH[2]:-0} * 3600 + ${BASH_REMATCH[4]:-0} * 60 + ${BASH_REMATCH[6]:-0}))
}

# window PHASE: how long to profile a measured phase of PHASE seconds: up
# to PROFILE_SECONDS, and 1.5 s short of each end (profile's DELAY adds the
# first).
PROFILE_SECONDS=${BENCH_PROFILE_SECONDS:-4}
window() { local w=$(($1 - 3)); echo $((w > PROFILE_SECONDS ? PROFILE_SECONDS : w)); }
HOLD_SEC=$(seconds "$HOLD")
# connections is profiled from 3s after its start for up to
# PROFILE_SECONDS: inside the connect and the hold that follows, even were
# the connect instant.
CONNECT_PROFILE=$((HOLD_SEC - 5 < PROFILE_SECONDS ? HOLD_SEC - 5 : PROFILE_SECONDS))

# load_run NAME ARGS...: runs a load tool workload; its log (stderr) also
# goes to logs/load-NAME.log, where the profilers find when its measured
# phase starts, and logs/load-NAME.done marks its end.
load_run() {
  local name=$1 rc=0
  shift
  "${LOAD[@]}" "$@" 2> >(tee "$RUN/logs/load-$name.log" >&2) || rc=$?
  touch "$RUN/logs/load-$name.done"
  return "$rc"
}

# profile NAME PORT WORKLOAD LINE DELAY SECONDS: a CPU profile, SECONDS
# long, of the binary whose PPROF_ADDR is on PORT, started DELAY seconds
# after the load tool logs LINE for WORKLOAD (the line that precedes its
# measured phase), so that the window lies inside what the report measures
# and the report can say where that CPU went. Nothing when BENCH_PROFILE=0
# or when the workload ends first.
PROFILERS=()
profile() {
  [ "$PROFILE" = 1 ] || return 0
  local name=$1 port=$2 log=$RUN/logs/load-$3.log ended=$RUN/logs/load-$3.done line=$4 delay=$5 secs=$6
  local out=$RUN/profiles/$name.pprof
  if [ "$secs" -lt 2 ]; then
    say "no profile $name: the measured phase of $3 is too short"
    return 0
  fi
  (
    until grep -qsF -- "$line" "$log"; do
      [ -e "$ended" ] && { say "no profile $name: $3 ended before its measured phase"; exit 0; }
      sleep 0.2
    done
    sleep "$delay"
    [ -e "$ended" ] && { say "no profile $name: $3 ended early"; exit 0; }
    curl -fsS --max-time $((secs + 30)) -o "$out" "http://127.0.0.1:$port/debug/pprof/profile?seconds=$secs" 2>/dev/null ||
      { rm -f "$out"; say "no profile $name (is PPROF_ADDR wired in the binary?)"; }
  ) &
  PROFILERS+=("$!")
}

has() { [[ " $WORKLOADS " == *" $1 "* ]]; }

# --- build ------------------------------------------------------------------
say "building into $BIN"
mkdir -p "$BIN"
go build -o "$BIN/" ./apps/api || die "api build failed"
go build -o "$BIN/load" ./tests/load || die "load tool build failed"
GATEWAY_BUILT=0
if [ -f apps/gateway/main.go ] && go build -o "$BIN/" ./apps/gateway; then GATEWAY_BUILT=1; fi
if [ "$GATEWAY_BUILT" = 0 ]; then say "no gateway binary: socket workloads skipped"; fi

# --- fresh PostgreSQL database and Redis -------------------------------------
have psql || die "psql is needed to recreate $DB_NAME"
PGOPTIONS='-c client_min_messages=warning' psql -qX "$PG/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" ||
  die "cannot recreate $DB_NAME on $PG"
DATABASE_URL=$DATABASE_URL "$BIN/api" migrate up >"$RUN/logs/migrate.log" 2>&1 || die "migrations failed ($RUN/logs/migrate.log)"

have redis-server || die "redis-server is needed for the bench's private Redis"
if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  [ -f "$BENCH_DIR/redis.pid" ] || die "port $REDIS_PORT is taken by a Redis this script did not start; set BENCH_REDIS_PORT"
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
fi
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$BENCH_DIR" \
  --pidfile "$BENCH_DIR/redis.pid" --logfile "$RUN/logs/redis.log" --maxclients 20000 >/dev/null
redis_up() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
wait_for 10 "the bench Redis" redis_up

# --- the stack ----------------------------------------------------------------
COMMON=(DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" APP_ENV=development LOG_LEVEL=warn)
rm -rf "$BENCH_DIR/storage" # the uploads of earlier runs
start api api "${COMMON[@]}" API_ADDR="127.0.0.1:$API_PORT" PUBLIC_BASE_URL="$API" \
  JWT_PRIVATE_KEY_FILE=.dev/jwt.pem PPROF_ADDR="127.0.0.1:$PPROF_PORT" STORAGE_DIR="$BENCH_DIR/storage"
API_PID=$LAST_PID
wait_http api "$API_PID" "$API/readyz"

say "seeding $USERS users"
# shellcheck disable=SC2086 # BENCH_SEED_FLAGS: extra flags, split on spaces (e.g. -plain-history)
"$BIN/load" seed -database-url "$DATABASE_URL" -key .dev/jwt.pem -users "$USERS" -out "$SEED" ${BENCH_SEED_FLAGS:-} >"$RUN/seed.json"

GW_PIDS=() GW_URLS=()
if [ "$GATEWAY_BUILT" = 1 ] && { has connections || has rooms || has broadcast || has sustained; }; then
  n=$(((CONNECTIONS + PER_GATEWAY - 1) / PER_GATEWAY))
  has connections || n=$CHAT_GATEWAYS
  n=$((n > CHAT_GATEWAYS ? n : CHAT_GATEWAYS))
  for ((i = 0; i < n; i++)); do
    start "gateway$i" gateway "${COMMON[@]}" GATEWAY_ADDR="127.0.0.1:$((GW_PORT + i))" \
      JWKS_URL="$API/.well-known/jwks.json" PPROF_ADDR="127.0.0.1:$((PPROF_PORT + 1 + i))"
    GW_PIDS+=("$LAST_PID") GW_URLS+=("http://127.0.0.1:$((GW_PORT + i))")
  done
  for ((i = 0; i < n; i++)); do wait_http "gateway$i" "${GW_PIDS[$i]}" "${GW_URLS[$i]}/readyz"; done
fi
join() { local IFS=$1; shift; echo "$*"; }
watch() { # the processes whose CPU each workload reports
  local w="api=$API_PID,postgres=$DB_NAME@bin/postgres,redis=redis-server 127.0.0.1:$REDIS_PORT"
  [ "$#" -gt 0 ] && w+=",gateway=$(join + "$@")"
  echo "$w"
}

# --- settings, for the report -------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null | head -n1)" ] || commit+=" (with uncommitted changes)"
{
  echo "{"
  printf '  "commit": "%s",\n' "$commit"
  printf '  "stack": "api x1, gateways x%s (up to %s sockets each; %s for rooms and broadcast), private Redis, database %s",\n' \
    "${#GW_PIDS[@]}" "$PER_GATEWAY" "$CHAT_GATEWAYS" "$DB_NAME"
  printf '  "api and gateway settings": "shipped defaults (rate limits on, DB pool 20 open / 10 idle, Redis pool 10 per CPU) except LOG_LEVEL=warn: no per-request access log lines",\n'
  printf '  "seed": "%s users in rooms of 10, a big room of 5000, 200 rooms with 200 messages (every 3rd edited, every 4th with 3 reactions of 2 emoji, unless -plain-history)%s",\n' "$USERS" "${BENCH_SEED_FLAGS:+; seed flags: $BENCH_SEED_FLAGS}"
  printf '  "http": "%s concurrent keep-alive connections, %s measured after a 3s warm-up, up to %s users rotated (0: all; each token is verified once, then from the cache)",\n' "$HTTP_CONCURRENCY" "$HTTP_DURATION" "$HTTP_USERS"
  printf '  "connections": "%s sockets, held %s",\n' "$CONNECTIONS" "$HOLD"
  printf '  "rooms": "2000 clients, 200 rooms of 10, 1 msg/s each for %s; then the knee: %s msg/s per client, %s each, until p99 > 50ms or a loss",\n' \
    "$CHAT_DURATION" "$KNEE_RATES" "$KNEE_DURATION"
  printf '  "limits": "setup (connect and join) bounded by %s per workload; up to 10s drain after each step",\n' "$CONNECT_TIMEOUT"
  printf '  "broadcast": "5000 members in one room, 10 senders at 1 msg/s for %s",\n' "$CHAT_DURATION"
  has sustained && printf '  "sustained": "the rooms load (2000 clients, 1 msg/s each) for %s minutes in 1-minute windows; memory and backlogs sampled every 10s",\n' "$SUSTAIN_MINUTES"
  [ "$PROFILE" = 1 ] && printf '  "profiles": "CPU profiles (100 Hz) inside the measured phases: the api during each http endpoint (%ss each), gateway0 during the connect of connections (%ss), the api and gateway0 during the first rooms step and the broadcast step (%ss each)",\n' \
    "$(window "$(seconds "$HTTP_DURATION")")" "$CONNECT_PROFILE" "$(window "$(seconds "$CHAT_DURATION")")"
  printf '  "workloads": "%s"\n' "$WORKLOADS"
  echo "}"
} >"$RUN/settings.json"

# --- workloads ----------------------------------------------------------------
LOAD=("$BIN/load")
if has http; then
  for ep in $HTTP_ENDPOINTS; do
    # The tool logs this line, reads its tokens, warms up for 3s, then
    # measures for HTTP_DURATION.
    profile "http-$ep-api" "$PPROF_PORT" "http-$ep" "http $ep: $HTTP_CONCURRENCY concurrent" 4.5 "$(window "$(seconds "$HTTP_DURATION")")"
    load_run "http-$ep" http -base "$API" -endpoint "$ep" -c "$HTTP_CONCURRENCY" -users "$HTTP_USERS" -duration "$HTTP_DURATION" -warmup 3s \
      -seed "$SEED" -watch "$(watch)" -out "$RUN/http-$ep.json" || say "http $ep failed"
  done
fi
if [ "${#GW_PIDS[@]}" -gt 0 ]; then
  if has connections; then
    # Sockets connect from this line on (~1,500/s, so 100,000 take a
    # minute), then are held for HOLD: both are measured.
    profile connections-gateway0 "$((PPROF_PORT + 1))" connections "connections: $CONNECTIONS clients in" 3 "$CONNECT_PROFILE"
    load_run connections connections -gateways "$(join , "${GW_URLS[@]}")" -clients "$CONNECTIONS" -duration "$HOLD" \
      -connect-timeout "$CONNECT_TIMEOUT" -seed "$SEED" -watch "$(watch "${GW_PIDS[@]}")" -out "$RUN/connections.json" || say "connections failed"
    # The chat workloads use the first gateways only: every gateway reads
    # every event, so idle extra ones would only add noise.
    for ((i = CHAT_GATEWAYS; i < ${#GW_PIDS[@]}; i++)); do kill "${GW_PIDS[$i]}" 2>/dev/null || true; done
  fi
  CHAT_URLS=$(join , "${GW_URLS[@]:0:$CHAT_GATEWAYS}")
  CHAT_WATCH=$(watch "${GW_PIDS[@]:0:$CHAT_GATEWAYS}")
  if has rooms; then
    # The first step (the standard figure, 1 msg/s) starts 0.5s after this
    # line and lasts CHAT_DURATION; the knee steps follow.
    profile rooms-api "$PPROF_PORT" rooms "rooms: connected" 2 "$(window "$(seconds "$CHAT_DURATION")")"
    profile rooms-gateway0 "$((PPROF_PORT + 1))" rooms "rooms: connected" 2 "$(window "$(seconds "$CHAT_DURATION")")"
    load_run rooms rooms -gateways "$CHAT_URLS" -clients 2000 -rate 1 -duration "$CHAT_DURATION" \
      -knee-rates "$KNEE_RATES" -knee-duration "$KNEE_DURATION" -stop-p99 50ms -connect-timeout "$CONNECT_TIMEOUT" \
      -seed "$SEED" -watch "$CHAT_WATCH" -out "$RUN/rooms.json" || say "rooms failed"
  fi
  if has broadcast; then
    profile broadcast-api "$PPROF_PORT" broadcast "broadcast: connected" 2 "$(window "$(seconds "$CHAT_DURATION")")"
    profile broadcast-gateway0 "$((PPROF_PORT + 1))" broadcast "broadcast: connected" 2 "$(window "$(seconds "$CHAT_DURATION")")"
    load_run broadcast broadcast -gateways "$CHAT_URLS" -clients 5000 -senders 10 -rate 1 -duration "$CHAT_DURATION" \
      -connect-timeout "$CONNECT_TIMEOUT" -seed "$SEED" -watch "$CHAT_WATCH" -out "$RUN/broadcast.json" || say "broadcast failed"
  fi
  if has sustained; then
    # One scenario step per minute at the same rate, so the report shows
    # each minute's latency; the watcher samples the stack meanwhile.
    metrics="api=$API/metrics"
    for ((i = 0; i < CHAT_GATEWAYS; i++)); do metrics+=",gateway$i=${GW_URLS[$i]}/metrics"; done
    "${LOAD[@]}" watch -metrics "$metrics" -redis-url "$REDIS_URL" -database-url "$DATABASE_URL" -interval 10s \
      -out "$RUN/sustained-watch.json" &
    WATCH_PID=$!
    ones=$(printf '1,%.0s' $(seq 2 "$SUSTAIN_MINUTES"))
    "${LOAD[@]}" rooms -gateways "$CHAT_URLS" -clients 2000 -rate 1 -duration 60s -knee-rates "${ones%,}" -knee-duration 60s \
      -stop-p99 0 -connect-timeout "$CONNECT_TIMEOUT" -seed "$SEED" -watch "$CHAT_WATCH" -out "$RUN/sustained.json" || say "sustained failed"
    kill -INT "$WATCH_PID" 2>/dev/null || true
    wait "$WATCH_PID" || say "watch failed"
  fi
fi
for pid in "${PROFILERS[@]}"; do wait "$pid" || true; done # profiles still being written

"${LOAD[@]}" report -in "$RUN" -out "$OUT" -name "$NAME" -database-url "$DATABASE_URL" -redis-url "$REDIS_URL"
say "done in ${SECONDS}s; raw results and logs in $RUN"
