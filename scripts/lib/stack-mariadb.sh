# shellcheck shell=bash
# MariaDB part of scripts/stack: a private mariadbd under .stack/mariadb. Sourced.

db_pid() { pid_if_ours "$DB_PIDFILE" "$DB_CNF"; }

# The port of the running mariadbd (from its generated config), else the wanted one.
db_port() {
  local port=""
  if db_pid >/dev/null && [[ -r "$DB_CNF" ]]; then
    port="$(sed -n 's/^port *= *\([0-9][0-9]*\).*/\1/p' "$DB_CNF" | head -n 1)"
  fi
  printf '%s\n' "${port:-$WANT_DB_PORT}"
}

db_socket() {
  local socket=""
  if db_pid >/dev/null && [[ -r "$DB_CNF" ]]; then
    socket="$(sed -n 's/^socket *= *//p' "$DB_CNF" | head -n 1)"
  fi
  printf '%s\n' "${socket:-$DB_SOCKET}"
}

db_password() {
  if [[ ! -s "$DB_PASSWORD_FILE" ]]; then
    mkdir -p "$STACK_SECRETS"
    chmod 700 "$STACK_SECRETS"
    # Hex only: the value goes unescaped into .stack/env and SQL.
    (umask 077 && head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DB_PASSWORD_FILE.tmp")
    mv -f "$DB_PASSWORD_FILE.tmp" "$DB_PASSWORD_FILE"
  fi
  tr -d '\n' <"$DB_PASSWORD_FILE"
}

# Runs SQL as the administrator over the Unix socket (unix_socket authentication).
db_admin_sql() {
  mariadb --no-defaults --protocol=socket --socket="$(db_socket)" -u "$STACK_OS_USER" \
    --connect-timeout=2 --batch --skip-column-names "$@"
}

# True if the bourse user can run a query over TCP, as the tests and the service will.
db_answers() {
  local password
  password="$(db_password)"
  MYSQL_PWD="$password" mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$(db_port)" \
    -u "$DB_USER" --connect-timeout=2 --batch --skip-column-names -e 'select 1' "$DB_NAME" \
    >/dev/null 2>&1
}

db_render_config() {
  mkdir -p "$DB_DIR" "$DB_TMPDIR"
  render_template "$STACK_TEMPLATES/mariadb.cnf.in" "$DB_CNF" \
    "DB_PORT=$WANT_DB_PORT" "DB_SOCKET=$DB_SOCKET" "DB_OS_USER=$STACK_OS_USER" \
    "DB_DATADIR=$DB_DATADIR" "DB_PIDFILE=$DB_PIDFILE" "DB_LOGFILE=$DB_LOGFILE" \
    "DB_TMPDIR=$DB_TMPDIR"
}

db_initialise() {
  [[ -d "$DB_DATADIR/mysql" ]] && return 0
  log "mariadb: initialising $DB_DATADIR"
  local tmp="$DB_DATADIR.init"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # --defaults-file must come first. Into a temporary directory, renamed when complete,
  # so an interrupted initialisation is redone rather than half-used.
  if ! mariadb-install-db --defaults-file="$DB_CNF" --datadir="$tmp" \
      --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
      >"$DB_DIR/install-db.log" 2>&1; then
    show_log_tail "$DB_DIR/install-db.log"
    die "mariadb-install-db failed (log: $DB_DIR/install-db.log)"
  fi
  rm -rf "$DB_DATADIR"
  mv "$tmp" "$DB_DATADIR"
}

# Starts mariadbd without waiting; db_wait finishes the job.
db_launch() {
  if db_pid >/dev/null; then return 0; fi
  command -v mariadbd >/dev/null || die "mariadbd not found (package mariadb-server)"
  rm -f "$DB_PIDFILE"
  if tcp_port_open "$WANT_DB_PORT"; then
    die "mariadb: port $WANT_DB_PORT is already in use by another process (not this stack);" \
      "set BOURSE_STACK_DB_PORT to another port"
  fi
  db_render_config
  db_initialise
  rm -f "$DB_SOCKET"
  log "mariadb: starting on 127.0.0.1:$WANT_DB_PORT (log: $DB_LOGFILE)"
  launch_daemon "$DB_PIDFILE" "$DB_OUTFILE" mariadbd --defaults-file="$DB_CNF"
}

db_fail() {
  show_log_tail "$DB_LOGFILE" "$DB_OUTFILE"
  die "mariadb: $* (log: $DB_LOGFILE)"
}

# Waits for the socket, creates the database and user (idempotent), then waits for the
# bourse user over TCP.
db_wait() {
  local deadline=$((SECONDS + DB_START_TIMEOUT))
  if db_pid >/dev/null && db_answers; then return 0; fi
  until db_admin_sql -e 'select 1' >/dev/null 2>&1; do
    db_pid >/dev/null || db_fail "mariadbd exited during start-up"
    ((SECONDS < deadline)) || db_fail "not answering on $(db_socket) after ${DB_START_TIMEOUT}s"
    sleep 0.2
  done
  local password
  password="$(db_password)"
  # The bourse user may use `bourse` and any `bourse%` database (tests create their own).
  # 'bourse'@'%' for TCP (skip-name-resolve: clients are 127.0.0.1), @'localhost' for
  # the socket. Anonymous accounts would shadow it on the socket: drop any.
  local sql
  sql="$(
    cat <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$password';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON \`bourse%\`.* TO '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON \`bourse%\`.* TO '$DB_USER'@'localhost';
SQL
  )"
  local anonymous host
  anonymous="$(db_admin_sql -e "select Host from mysql.user where User=''" 2>/dev/null || true)"
  for host in $anonymous; do
    sql+=$'\n'"DROP USER IF EXISTS ''@'$host';"
  done
  db_admin_sql -e "$sql" >/dev/null || db_fail "could not create the $DB_NAME database and user"
  until db_answers; do
    db_pid >/dev/null || db_fail "mariadbd exited during start-up"
    ((SECONDS < deadline)) ||
      db_fail "user $DB_USER cannot query over 127.0.0.1:$(db_port) after ${DB_START_TIMEOUT}s"
    sleep 0.2
  done
  log "mariadb: up on 127.0.0.1:$(db_port), pid $(db_pid) ($(since))"
}

db_stop() {
  local pid
  if ! pid="$(db_pid)"; then
    rm -f "$DB_PIDFILE"
    log "mariadb: not running"
    return 0
  fi
  log "mariadb: stopping pid $pid"
  stop_pid "$pid" mariadbd
  rm -f "$DB_PIDFILE"
  log "mariadb: stopped"
}

# SIGKILL, no clean shutdown (chaos): the next start runs InnoDB crash recovery.
db_kill() {
  local pid
  if pid="$(db_pid)"; then
    log "mariadb: SIGKILL pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$DB_PIDFILE"
}

db_status() {
  local pid port state=down
  port="$(db_port)"
  if pid="$(db_pid)"; then
    if db_answers; then state=up; else state="not-answering"; fi
  else
    pid="-"
  fi
  printf '%-8s %-14s pid %-8s port %-6s socket %s\n' mariadb "$state" "$pid" "$port" "$(db_socket)"
  [[ "$state" == up ]]
}
