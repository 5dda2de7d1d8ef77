#!/usr/bin/env bash
# down.sh stops what up.sh started: every binary of apps/ recorded in
# .dev/run/<name>.pid (SIGTERM, so they drain gracefully; SIGKILL after 30s),
# then the development inbox (Mailpit) and the private PostgreSQL and Redis
# under .dev/ if up.sh started them. Shared services that were already running
# are left alone. --apps-only stops the binaries only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

apps_only=false
if [ "${1:-}" = --apps-only ]; then apps_only=true; fi

# Binaries (one per apps/<name>): signal them all, then wait for them all.
# Only their pid files are read: other tools keep theirs in .dev/run too.
names=()
for main in apps/*/main.go; do
  name=$(basename "$(dirname "$main")")
  f=$RUN_DIR/$name.pid
  [ -e "$f" ] || continue
  if alive "$name"; then
    kill -TERM "$(cat "$f")" 2>/dev/null || true
    names+=("$name")
  else
    rm -f "$f"
  fi
done
stopping=("${names[@]}")
for ((i = 0; i < 150 && ${#names[@]} > 0; i++)); do
  left=()
  for name in "${names[@]}"; do if alive "$name"; then left+=("$name"); fi; done
  names=("${left[@]}")
  if [ ${#names[@]} -gt 0 ]; then sleep 0.2; fi
done
for name in "${names[@]}"; do
  say "$name did not stop within 30s; killing it"
  kill -KILL "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null || true
done
for name in "${stopping[@]}"; do
  say "stopped $name"
  rm -f "$RUN_DIR/$name.pid"
done

if $apps_only; then exit 0; fi
rm -f "$DEV_DIR/stack.env" # the next up.sh picks the services again

# The development inbox, when up.sh started it.
if [ -f "$RUN_DIR/mailpit.by-up" ] && [ -f scripts/mailpit.sh ]; then
  bash scripts/mailpit.sh stop || true
fi
rm -f "$RUN_DIR/mailpit.by-up"

# Private services (only those up.sh created under .dev/).
redis_pidfile=$DEV_DIR/redis/redis.pid
if [ -f "$redis_pidfile" ]; then
  pid=$(cat "$redis_pidfile")
  if [[ -r /proc/$pid/cmdline && $(tr '\0' ' ' <"/proc/$pid/cmdline") == *redis-server* ]]; then
    kill -TERM "$pid" && say "stopped private Redis"
  fi
  rm -f "$redis_pidfile"
fi
pgdata=$DEV_DIR/postgres
if [ -f "$pgdata/postmaster.pid" ] && [ -f "$DEV_DIR/postgres.bindir" ]; then
  as_db_user "$(cat "$DEV_DIR/postgres.bindir")/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null &&
    say "stopped private PostgreSQL"
fi
