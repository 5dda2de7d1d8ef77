# lib.sh: helpers shared by up.sh and down.sh. Source it from the repository root.

DEV_DIR=$PWD/.dev     # git-ignored: dev key, private databases, run state
RUN_DIR=$DEV_DIR/run  # <name>.pid and <name>.log of every started binary

say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*"; }
die() { say "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# tcp_open succeeds when something accepts TCP connections on host:port.
tcp_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

# http_ok succeeds when url answers 2xx.
http_ok() {
  if have curl; then
    curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null
  else # bash-only fallback for http://host:port/path
    local rest=${1#http://} hostport path status
    hostport=${rest%%/*}; path=/${rest#*/}
    status=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"; printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3; head -n1 <&3' \
      _ "${hostport%:*}" "${hostport##*:}" "$path" 2>/dev/null) || return 1
    [[ $status == "HTTP/"*" 2"* ]]
  fi
}

# wait_for SECONDS WHAT CMD... retries CMD every 0.2s.
wait_for() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  say "timed out after ${secs}s waiting for $what" >&2
  return 1
}

# alive NAME succeeds when .dev/run/NAME.pid names a running bin/NAME (a
# recycled pid running something else does not count).
alive() {
  local pid
  pid=$(cat "$RUN_DIR/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"bin/$1"* ]]
}

# wait_ready NAME URL waits up to 30s for URL to answer 2xx, giving up at
# once if bin/NAME exits.
wait_ready() {
  local i
  for ((i = 0; i < 150; i++)); do
    # Not alive() yet: until exec, the child still shows this shell's cmdline.
    kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null || { say "$1 exited during start-up" >&2; return 1; }
    http_ok "$2" && return 0
    sleep 0.2
  done
  say "timed out after 30s waiting for $2" >&2
  return 1
}

# addr_port ":8080" / "127.0.0.1:8080" -> 8080
addr_port() { echo "${1##*:}"; }

# mask_url hides a password in a URL.
mask_url() { sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$1"; }

# load_dotenv FILE exports KEY=VALUE lines of FILE whose KEY is not already
# set: the environment wins over the file. Quotes around values are removed.
load_dotenv() {
  [ -f "$1" ] || return 0
  local line key val
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[2]} val=${BASH_REMATCH[3]}
    [[ $val =~ ^\"(.*)\"$ || $val =~ ^\'(.*)\'$ ]] && val=${BASH_REMATCH[1]}
    [ -n "${!key+set}" ] || export "$key=$val"
  done <"$1"
}

# as_db_user runs a command as the postgres user when we are root
# (initdb and postgres refuse to run as root).
as_db_user() {
  if [ "$(id -u)" != 0 ]; then "$@"; return; fi
  if have runuser; then runuser -u postgres -- "$@"; else su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; fi
}
