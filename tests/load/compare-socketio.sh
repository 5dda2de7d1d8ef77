#!/usr/bin/env bash
# compare-socketio.sh measures the gateway's three socket modes side by
# side on one stack, each run right after the other so they share the
# machine's conditions: native /ws, Socket.IO over websocket and Socket.IO
# over HTTP long-polling. For each mode: idle sockets (memory per
# connection and connect rate, on a freshly started gateway), then the
# rooms workload at a few rates (latency percentiles, delivered/expected).
# Then long-polling through two gateways, with each session's requests
# staying on its gateway or alternating between both (no sticky sessions:
# every other request is forwarded). Bounded: about 6 minutes.
#
# Everything listens on 127.0.0.1, on ports of its own (api 18380,
# gateways 18400-18401, Redis 6393), with database chatforge_siobench.
# Results: .dev/siobench/run-<date>/*.json and load-average samples in
# loadavg.txt; the report under tests/load/reports/ is written from them.
#
# Settings: SIO_SOCKETS ("2000 10000"), SIO_ROOMS_CLIENTS (2000),
# SIO_RATES (0.1,0.25,0.5,1), SIO_STEP (10s), SIO_HOLD (10s), SIO_MODES
# ("native sio-ws sio-poll"), SIO_ROOMS (1: the rooms runs), SIO_SPREAD (1:
# the forwarding comparison).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB=chatforge_siobench
REDIS_PORT=6393
API_PORT=18380
GW_PORT=18400
SOCKETS=${SIO_SOCKETS:-2000 10000}
ROOMS_CLIENTS=${SIO_ROOMS_CLIENTS:-2000}
RATES=${SIO_RATES:-0.1,0.25,0.5,1}
STEP=${SIO_STEP:-10s}
HOLD=${SIO_HOLD:-10s}
MODES=${SIO_MODES:-native sio-ws sio-poll}
SPREAD=${SIO_SPREAD:-1}
ROOMS=${SIO_ROOMS:-1}
USERS=10000

DIR=$DEV_DIR/siobench
BIN=$DIR/bin
RUN=$DIR/run-$(date -u +%Y-%m-%dT%H%MZ)
SEED=$DIR/seed.json
KEY=$DIR/jwt.pem
DATABASE_URL="$PG/$DB?sslmode=disable"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
API="http://127.0.0.1:$API_PORT"
mkdir -p "$RUN/logs" "$BIN"
ulimit -n "$(ulimit -Hn)"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # NAME BINARY VAR=VALUE...
  local name=$1 bin=$2
  shift 2
  env "$@" setsid "$BIN/$bin" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
ready() { # URL
  local i
  for ((i = 0; i < 150; i++)); do http_ok "$1" && return 0; sleep 0.2; done
  die "not ready: $1"
}
loadavg() { echo "$(date -u +%H:%M:%S) $1: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN/loadavg.txt"; }

say "building into $BIN"
go build -o "$BIN/" ./apps/api ./apps/gateway
go build -o "$BIN/load" ./tests/load
[ -f "$KEY" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEY" 2>/dev/null

PGOPTIONS='-c client_min_messages=warning' psql -qX "$PG/postgres?sslmode=disable" \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
DATABASE_URL=$DATABASE_URL "$BIN/api" migrate up >"$RUN/logs/migrate.log" 2>&1
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$DIR" \
  --logfile "$RUN/logs/redis.log" --maxclients 20000 >/dev/null
wait_for 10 "Redis" bash -c "[ \"\$(redis-cli -p $REDIS_PORT ping 2>/dev/null)\" = PONG ]"

COMMON=(DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" APP_ENV=development LOG_LEVEL=warn)
start api api "${COMMON[@]}" API_ADDR="127.0.0.1:$API_PORT" PUBLIC_BASE_URL="$API" JWT_PRIVATE_KEY_FILE="$KEY"
API_PID=$LAST_PID
ready "$API/readyz"
"$BIN/load" seed -database-url "$DATABASE_URL" -key "$KEY" -users "$USERS" -big-room 100 -out "$SEED" >"$RUN/seed.json"

GW_PID=()
gateway() { # I: (re)starts gateway I with the shipped defaults
  local i=$1
  [ -n "${GW_PID[$i]:-}" ] && { kill "${GW_PID[$i]}"; wait "${GW_PID[$i]}" 2>/dev/null || true; }
  start "gateway$i" gateway "${COMMON[@]}" GATEWAY_ADDR="127.0.0.1:$((GW_PORT + i))" JWKS_URL="$API/.well-known/jwks.json"
  GW_PID[$i]=$LAST_PID
  ready "http://127.0.0.1:$((GW_PORT + i))/readyz"
}
flags() { # MODE
  case $1 in
    native) ;;
    sio-ws) echo -socketio ;;
    sio-poll) echo -socketio -polling ;;
  esac
}
watch() { echo "api=$API_PID,postgres=$DB@bin/postgres,redis=redis-server 127.0.0.1:$REDIS_PORT,gateway=$(IFS=+; echo "${GW_PID[*]}")"; }
GW0=http://127.0.0.1:$GW_PORT
GW1=http://127.0.0.1:$((GW_PORT + 1))

for n in $SOCKETS; do
  for m in $MODES; do
    gateway 0 # a fresh process: its memory is only these sockets'
    loadavg "connections $n $m start"
    # shellcheck disable=SC2046
    "$BIN/load" connections -gateways "$GW0" $(flags "$m") -clients "$n" -duration "$HOLD" -connect-timeout 120s \
      -seed "$SEED" -watch "$(watch)" -out "$RUN/connections-$n-$m.json" 2>>"$RUN/logs/load.log" || say "connections $n $m failed"
    loadavg "connections $n $m end"
  done
done
for m in $MODES; do
  [ "$ROOMS" = 1 ] || break
  loadavg "rooms $m start"
  # shellcheck disable=SC2046
  "$BIN/load" rooms -gateways "$GW0" $(flags "$m") -clients "$ROOMS_CLIENTS" -rate "${RATES%%,*}" -duration "$STEP" \
    -knee-rates "${RATES#*,}" -knee-duration "$STEP" -stop-p99 0 -connect-timeout 120s \
    -seed "$SEED" -watch "$(watch)" -out "$RUN/rooms-$m.json" 2>>"$RUN/logs/load.log" || say "rooms $m failed"
  loadavg "rooms $m end"
done
if [ "$SPREAD" = 1 ]; then
  gateway 1
  for sp in stay spread; do
    extra=()
    [ "$sp" = spread ] && extra=(-poll-spread)
    loadavg "rooms 2 gateways polling $sp start"
    "$BIN/load" rooms -gateways "$GW0,$GW1" -socketio -polling "${extra[@]}" -clients 1000 -rate 0.25 -duration "$STEP" \
      -knee-rates 1 -knee-duration "$STEP" -stop-p99 0 -connect-timeout 120s \
      -seed "$SEED" -watch "$(watch)" -out "$RUN/forward-$sp.json" 2>>"$RUN/logs/load.log" || say "forward $sp failed"
    loadavg "rooms 2 gateways polling $sp end"
  done
fi
nproc >"$RUN/machine.txt"
grep -m1 'model name' /proc/cpuinfo >>"$RUN/machine.txt"
grep MemTotal /proc/meminfo >>"$RUN/machine.txt"
uname -r >>"$RUN/machine.txt"
go version >>"$RUN/machine.txt"
say "done in ${SECONDS}s: $RUN"
