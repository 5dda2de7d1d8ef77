#!/usr/bin/env bash
# mailpit.sh runs Mailpit, the development inbox: a real SMTP server that
# keeps every mail it gets and shows them in a web UI (and a REST API), so
# someone trying the stack reads the verification e-mail in a browser.
#
#   scripts/mailpit.sh build   build .dev/bin/mailpit (once; later calls are no-ops)
#   scripts/mailpit.sh start   build if needed, start in the background, wait until it answers
#   scripts/mailpit.sh stop    stop what start started
#   scripts/mailpit.sh status  say whether it runs
#
# Ports: MAILPIT_SMTP_ADDR (default 127.0.0.1:1025, point SMTP_ADDR here) and
# MAILPIT_UI_ADDR (default 127.0.0.1:8025, the inbox). Mail is kept in
# .dev/mailpit.db (the newest 500).
#
# How it is built: Mailpit is a Go module (github.com/axllent/mailpit), but
# its web UI is a JavaScript bundle that its release process builds and the
# module source does not contain. So the source is copied from the Go module
# cache, the UI is bundled with npm (the lock file is dropped and rapidoc,
# used only by the API docs page, pinned to the 9.x line the npm registry
# serves here), then the binary is built with the bundle embedded. Without
# node/npm, or if that fails, Mailpit is built without the UI: SMTP and the
# REST API (/api/v1/messages) still work, the web page stays blank.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

VERSION=v1.33.1
MODULE=github.com/axllent/mailpit
BIN=$DEV_DIR/bin/mailpit
SMTP_ADDR_=${MAILPIT_SMTP_ADDR:-127.0.0.1:1025}
UI_ADDR=${MAILPIT_UI_ADDR:-127.0.0.1:8025}

build() {
  if [ -x "$BIN" ] && [ "$(cat "$BIN.version" 2>/dev/null)" = "$VERSION" ]; then return 0; fi
  mkdir -p "$DEV_DIR/bin" "$RUN_DIR"
  local src=$DEV_DIR/build/mailpit-$VERSION modsrc
  say "fetching $MODULE@$VERSION"
  modsrc=$(cd /tmp && go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$modsrc" ] || die "go mod download $MODULE@$VERSION failed"
  rm -rf "$src" && mkdir -p "$(dirname "$src")" && cp -r "$modsrc" "$src" && chmod -R u+w "$src"
  if have npm && have node && build_ui "$src"; then
    say "web UI bundled"
  else
    say "WARNING: building Mailpit without its web UI (needs node and npm); SMTP and the REST API still work"
  fi
  say "building $BIN (a minute or two the first time)"
  (cd "$src" && CGO_ENABLED=0 go build -buildvcs=false -ldflags "-s -w -X $MODULE/config.Version=$VERSION" -o "$BIN" .) ||
    die "go build of Mailpit failed"
  echo "$VERSION" >"$BIN.version"
}

build_ui() { # src
  (
    cd "$1"
    node -e '
      const fs = require("fs");
      const p = JSON.parse(fs.readFileSync("package.json"));
      p.dependencies.rapidoc = "^9.3.8";
      for (const k of Object.keys(p.devDependencies))
        if (/eslint|prettier|playwright|jsdom|globals/.test(k)) delete p.devDependencies[k];
      fs.writeFileSync("package.json", JSON.stringify(p, null, 2));'
    rm -f package-lock.json
    npm install --no-audit --no-fund --loglevel=error >"$RUN_DIR/mailpit-npm.log" 2>&1 &&
      npm run build >>"$RUN_DIR/mailpit-npm.log" 2>&1 &&
      [ -f server/ui/dist/app.js ]
  ) || { say "npm build failed (see $RUN_DIR/mailpit-npm.log)"; return 1; }
}

running() {
  local pid
  pid=$(cat "$RUN_DIR/mailpit.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"bin/mailpit"* ]]
}

start() {
  build
  if running; then say "already running (inbox http://${UI_ADDR/0.0.0.0/localhost})"; return 0; fi
  local p=${SMTP_ADDR_##*:}
  if tcp_open 127.0.0.1 "$p"; then die "port $p is in use: set MAILPIT_SMTP_ADDR, or SMTP_ADDR to your own SMTP server"; fi
  setsid nohup "$BIN" --smtp "$SMTP_ADDR_" --listen "$UI_ADDR" --database "$DEV_DIR/mailpit.db" \
    --disable-version-check --smtp-auth-accept-any --smtp-auth-allow-insecure \
    >"$RUN_DIR/mailpit.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/mailpit.pid"
  wait_for 20 "Mailpit" http_ok "http://$UI_ADDR/readyz" || { tail -n 20 "$RUN_DIR/mailpit.log" >&2; die "Mailpit did not start"; }
  say "inbox http://${UI_ADDR/127.0.0.1/localhost} (SMTP on $SMTP_ADDR_)"
}

stop() {
  if running; then
    kill "$(cat "$RUN_DIR/mailpit.pid")" && say "stopped"
  fi
  rm -f "$RUN_DIR/mailpit.pid"
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) if running; then say "running, inbox http://$UI_ADDR"; else say "not running"; exit 1; fi ;;
  *) echo "usage: scripts/mailpit.sh build|start|stop|status" >&2; exit 2 ;;
esac
