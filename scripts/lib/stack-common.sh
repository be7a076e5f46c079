# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for scripts/stack. Sourced, never executed.
#
# Layout (all under the git-ignored .stack/ at the checkout root):
#   .stack/env                       export KEY=value lines for the tests and scripts/run
#   .stack/lock                      flock: one scripts/stack mutation at a time
#   .stack/secrets/db-password       generated once, mode 600
#   .stack/mariadb/{my.cnf,data/,mariadbd.pid,mariadbd.log,mariadbd.out,mariadb.sock,tmp/}
#   .stack/kafka/{server.properties,cluster-id,data/,logs/,kafka.pid,libs/<version>/}
#   .stack/m2/                       Maven local repository (jar cache)

# Kafka broker version from Maven Central. 3.9.x: see /work/shared/KAFKA.md (4.x drops
# protocol versions Debian 12's librdkafka 2.0.2 relies on).
BOURSE_KAFKA_VERSION="${BOURSE_KAFKA_VERSION:-3.9.2}"

STACK_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
BOURSE_ROOT="$(cd "$STACK_LIB_DIR/../.." && pwd -P)"
STACK_TEMPLATES="$BOURSE_ROOT/scripts/stack.d"
# BOURSE_STACK_DIR puts a second, independent stack elsewhere (the chaos suite runs its
# own, so that killing MariaDB or Kafka never disturbs the tests on the main one); the jar
# caches stay in the checkout's .stack/ and are shared.
STACK_DIR="${BOURSE_STACK_DIR:-$BOURSE_ROOT/.stack}"
STACK_CACHE_DIR="$BOURSE_ROOT/.stack"
STACK_ENV_FILE="$STACK_DIR/env"
STACK_LOCK_FILE="$STACK_DIR/lock"
STACK_SECRETS="$STACK_DIR/secrets"
DB_PASSWORD_FILE="$STACK_SECRETS/db-password"

DB_DIR="$STACK_DIR/mariadb"
DB_CNF="$DB_DIR/my.cnf"
DB_DATADIR="$DB_DIR/data"
DB_TMPDIR="$DB_DIR/tmp"
DB_PIDFILE="$DB_DIR/mariadbd.pid"
DB_LOGFILE="$DB_DIR/mariadbd.log"
DB_OUTFILE="$DB_DIR/mariadbd.out"
DB_NAME=bourse
DB_USER=bourse

KAFKA_DIR="$STACK_DIR/kafka"
KAFKA_PROPERTIES="$KAFKA_DIR/server.properties"
KAFKA_DATADIR="$KAFKA_DIR/data"
KAFKA_LOGDIR="$KAFKA_DIR/logs"
KAFKA_LOGFILE="$KAFKA_LOGDIR/server.log"
KAFKA_OUTFILE="$KAFKA_LOGDIR/kafka.out"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DIR/cluster-id"
KAFKA_LIBS="$STACK_CACHE_DIR/kafka/libs/$BOURSE_KAFKA_VERSION"
STACK_M2="$STACK_CACHE_DIR/m2"

DB_START_TIMEOUT="${BOURSE_STACK_DB_TIMEOUT:-60}"
KAFKA_START_TIMEOUT="${BOURSE_STACK_KAFKA_TIMEOUT:-120}"
STOP_TIMEOUT="${BOURSE_STACK_STOP_TIMEOUT:-60}"

# Ports: a base derived from the checkout path, so two checkouts on one machine (and a
# system MariaDB on 3306) never collide: base = 20000 + (cksum(path) % 1000) * 10, i.e.
# 20000..29990; DB = base, Kafka = base+1, controller = base+2, suggested HTTP = base+3.
# Each can be overridden by its BOURSE_STACK_*_PORT variable (applies when the service
# starts; a running service keeps the port in its generated config).
STACK_PATH_HASH="$(printf '%s' "${BOURSE_STACK_DIR:-$BOURSE_ROOT}" | cksum | cut -d' ' -f1)"
STACK_BASE_PORT=$((20000 + (STACK_PATH_HASH % 1000) * 10))
WANT_DB_PORT="${BOURSE_STACK_DB_PORT:-$STACK_BASE_PORT}"
WANT_KAFKA_PORT="${BOURSE_STACK_KAFKA_PORT:-$((STACK_BASE_PORT + 1))}"
WANT_CONTROLLER_PORT="${BOURSE_STACK_CONTROLLER_PORT:-$((STACK_BASE_PORT + 2))}"
HTTP_PORT="${BOURSE_STACK_HTTP_PORT:-$((STACK_BASE_PORT + 3))}"
# The port the broker tells clients to use (its advertised listener). Defaults to the
# port it listens on; the chaos suite points it at a TCP proxy in front of the broker so
# that it can cut the line between bourse and Kafka.
WANT_KAFKA_ADVERTISED_PORT="${BOURSE_STACK_KAFKA_ADVERTISED_PORT:-$WANT_KAFKA_PORT}"

# A Unix socket path must fit in 108 bytes: fall back to /tmp for deep checkouts.
DB_SOCKET="$DB_DIR/mariadb.sock"
if ((${#DB_SOCKET} > 100)); then
  DB_SOCKET="${TMPDIR:-/tmp}/bourse-stack-$STACK_PATH_HASH.sock"
fi

# The account that administers our mariadbd over its socket (unix_socket auth,
# created by mariadb-install-db for the OS user that runs it).
STACK_OS_USER="$(id -un)"

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# Elapsed seconds since the script started, for progress lines.
since() { printf '%ss' "$SECONDS"; }

# Prints the last lines of each existing file, to stderr, framed.
show_log_tail() {
  local file lines="${LOG_TAIL_LINES:-30}"
  for file in "$@"; do
    [[ -s "$file" ]] || continue
    printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf -- '----- end of %s -----\n' "$file" >&2
  done
}

# Prints the pid recorded in PIDFILE if that process is alive and its command line
# contains MARKER (a path under .stack/, so a recycled pid is never mistaken for ours).
# Returns 1 otherwise.
pid_if_ours() {
  local pidfile="$1" marker="$2" pid cmdline
  [[ -r "$pidfile" ]] || return 1
  pid="$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)"
  [[ -n "$pid" ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$marker"* ]] || return 1
  printf '%s\n' "$pid"
}

# True if something accepts TCP connections on 127.0.0.1:PORT.
tcp_port_open() {
  # shellcheck disable=SC2016 # $1 expands in the inner bash, on purpose
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Sends TERM to PID, waits up to STOP_TIMEOUT seconds, then KILL. Returns when gone.
stop_pid() {
  local pid="$1" what="$2" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT * 10)); then
      log "$what (pid $pid) still running after ${STOP_TIMEOUT}s: sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Substitutes @KEY@ placeholders in TEMPLATE with the given KEY=VALUE pairs and writes
# DEST atomically.
render_template() {
  local template="$1" dest="$2"
  shift 2
  local -a sed_args=()
  local pair key value
  for pair in "$@"; do
    key="${pair%%=*}"
    value="${pair#*=}"
    value="${value//\\/\\\\}"
    value="${value//|/\\|}"
    value="${value//&/\\&}"
    sed_args+=(-e "s|@${key}@|${value}|g")
  done
  sed "${sed_args[@]}" "$template" >"$dest.tmp"
  if grep -q '@[A-Z_]*@' "$dest.tmp"; then
    die "unsubstituted placeholder in $dest.tmp (from $template)"
  fi
  mv -f "$dest.tmp" "$dest"
}

# Starts a command as a daemon in its own session: stdin from /dev/null, output appended
# to OUTFILE, the lock descriptor closed. Writes its pid to PIDFILE.
launch_daemon() {
  local pidfile="$1" outfile="$2"
  shift 2
  # Without job control the background subshell is not a process-group leader, so
  # setsid and nohup exec in place and $! is the daemon's own pid.
  setsid nohup "$@" </dev/null >>"$outfile" 2>&1 9>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$pidfile"
}

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  else
    command -v java || die "java not found (openjdk-17-jre-headless)"
  fi
}
