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

# install_hint PKG... prints the command that installs PostgreSQL and Redis
# with this machine's package manager (Debian package names in, the
# manager's names out: postgresql, redis-server).
install_hint() {
  local sudo="sudo "
  if [ "$(id -u)" = 0 ]; then sudo=""; fi
  local pg=false redis=false p
  for p in "$@"; do
    case $p in postgresql) pg=true ;; redis-server) redis=true ;; esac
  done
  local -a want=()
  if have apt-get; then
    echo "${sudo}apt-get install -y $*"
  elif have dnf; then
    $pg && want+=(postgresql-server); $redis && want+=(redis)
    echo "${sudo}dnf install -y ${want[*]}$($pg && echo ' && sudo postgresql-setup --initdb')"
  elif have brew; then
    $pg && want+=(postgresql@16); $redis && want+=(redis)
    echo "brew install ${want[*]}"
  elif have apk; then
    $pg && want+=(postgresql); $redis && want+=(redis)
    echo "${sudo}apk add ${want[*]}"
  elif have pacman; then
    $pg && want+=(postgresql); $redis && want+=(redis)
    echo "${sudo}pacman -S --noconfirm ${want[*]}"
  else
    echo "install PostgreSQL 15+ and Redis 7 with your package manager"
  fi
}

# install_packages PKG... installs Debian/Ubuntu packages when that can be
# done unattended: apt-get present and running as root (as .ci/run does),
# unless UP_INSTALL=0. Otherwise it prints the command to run and fails.
install_packages() {
  if [ "${UP_INSTALL:-1}" != 0 ] && have apt-get && [ "$(id -u)" = 0 ]; then
    say "installing $* (apt-get; UP_INSTALL=0 to never install)"
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; then
      return 0
    fi
    say "apt-get install $* failed" >&2
    return 1
  fi
  say "missing $*; install with: $(install_hint "$@")" >&2
  return 1
}

# postgres_bindir prints the directory of the newest installed PostgreSQL
# server binaries (Debian's /usr/lib/postgresql/<v>/bin, else pg_ctl on
# PATH). POSTGRES_LIB moves Debian's directory (scripts/lib_test.go).
postgres_bindir() {
  local d
  d=$(ls -d "${POSTGRES_LIB:-/usr/lib/postgresql}"/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$d" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  if have pg_ctl; then dirname "$(command -v pg_ctl)"; return 0; fi
  return 1
}

# missing_packages prints the Debian packages of the servers that are needed
# (no URL set, nothing answering) but not installed. The caller defines
# pg_answers and redis_answers (host port).
missing_packages() {
  local private=false
  [ "${UP_SERVICES:-}" = private ] && private=true
  if [ -z "${DATABASE_URL:-}" ] && ! postgres_bindir >/dev/null &&
    { $private || ! pg_answers 127.0.0.1 5432; }; then
    echo postgresql
  fi
  if [ -z "${REDIS_URL:-}" ] && ! have redis-server &&
    { $private || ! redis_answers 127.0.0.1 6379; }; then
    echo redis-server
  fi
}
