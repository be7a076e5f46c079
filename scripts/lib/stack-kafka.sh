# shellcheck shell=bash
# Kafka part of scripts/stack: a single-node KRaft broker from Maven Central jars,
# run by the machine's Java under .stack/kafka. Sourced.

kafka_pid() { pid_if_ours "$KAFKA_PIDFILE" "$KAFKA_PROPERTIES"; }

# The port of the running broker (from its generated config), else the wanted one.
kafka_port() {
  local port=""
  if kafka_pid >/dev/null && [[ -r "$KAFKA_PROPERTIES" ]]; then
    port="$(sed -n 's|^advertised\.listeners=PLAINTEXT://[^:]*:\([0-9][0-9]*\).*|\1|p' \
      "$KAFKA_PROPERTIES" | head -n 1)"
  fi
  printf '%s\n' "${port:-$WANT_KAFKA_PORT}"
}

kafka_controller_port() {
  local port=""
  if kafka_pid >/dev/null && [[ -r "$KAFKA_PROPERTIES" ]]; then
    port="$(sed -n 's|^controller\.quorum\.voters=1@[^:]*:\([0-9][0-9]*\).*|\1|p' \
      "$KAFKA_PROPERTIES" | head -n 1)"
  fi
  printf '%s\n' "${port:-$WANT_CONTROLLER_PORT}"
}

kafka_brokers() { printf '127.0.0.1:%s\n' "$(kafka_port)"; }

# True if the broker answers a metadata request and lists itself.
kafka_answers() {
  local port
  port="$(kafka_port)"
  timeout 10 kcat -b "127.0.0.1:$port" -L -m 3 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$port"
}

# Runs a Kafka Java tool class: kafka_java CLASS ARGS...
kafka_java() {
  local class="$1"
  shift
  "$(java_bin)" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$STACK_TEMPLATES/kafka-log4j.properties" \
    -Dkafka.logs.dir="$KAFKA_LOGDIR/tools" -cp "$KAFKA_LIBS/*" "$class" "$@"
}

# Downloads the broker jars once per version into .stack/kafka/libs/<version>.
kafka_fetch_libs() {
  [[ -f "$KAFKA_LIBS/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (package maven)"
  log "kafka: fetching Apache Kafka $BOURSE_KAFKA_VERSION jars from Maven Central"
  mkdir -p "$KAFKA_LOGDIR" "$STACK_M2"
  local tmp="$KAFKA_LIBS.partial" mvn_log="$KAFKA_LOGDIR/mvn.log"
  rm -rf "$tmp"
  if ! mvn -B -q -f "$STACK_TEMPLATES/kafka-pom.xml" \
      -Dmaven.repo.local="$STACK_M2" -Dkafka.version="$BOURSE_KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
      >"$mvn_log" 2>&1; then
    show_log_tail "$mvn_log"
    die "kafka: maven could not fetch Kafka $BOURSE_KAFKA_VERSION (log: $mvn_log)"
  fi
  [[ -f "$tmp/kafka_2.13-$BOURSE_KAFKA_VERSION.jar" ]] ||
    die "kafka: kafka_2.13-$BOURSE_KAFKA_VERSION.jar missing after maven (log: $mvn_log)"
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS ($(since))"
}

kafka_render_config() {
  mkdir -p "$KAFKA_DIR" "$KAFKA_LOGDIR" "$KAFKA_DATADIR"
  render_template "$STACK_TEMPLATES/kafka-server.properties.in" "$KAFKA_PROPERTIES" \
    "KAFKA_PORT=$WANT_KAFKA_PORT" "KAFKA_ADVERTISED_PORT=$WANT_KAFKA_ADVERTISED_PORT" \
    "CONTROLLER_PORT=$WANT_CONTROLLER_PORT" \
    "KAFKA_DATADIR=$KAFKA_DATADIR"
}

# Formats the KRaft log directory once (kafka.tools.StorageTool).
kafka_format() {
  [[ -f "$KAFKA_DATADIR/meta.properties" ]] && return 0
  local cluster_id
  if [[ ! -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_OUTFILE" | tail -n 1)"
    [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] ||
      die "kafka: StorageTool random-uuid gave '$cluster_id' (log: $KAFKA_OUTFILE)"
    printf '%s\n' "$cluster_id" >"$KAFKA_CLUSTER_ID_FILE"
  fi
  cluster_id="$(tr -d '\n' <"$KAFKA_CLUSTER_ID_FILE")"
  log "kafka: formatting $KAFKA_DATADIR (cluster $cluster_id)"
  if ! kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPERTIES" \
      --ignore-formatted >>"$KAFKA_OUTFILE" 2>&1; then
    show_log_tail "$KAFKA_OUTFILE"
    die "kafka: storage format failed (log: $KAFKA_OUTFILE)"
  fi
}

# Starts the broker without waiting; kafka_wait finishes the job.
kafka_launch() {
  if kafka_pid >/dev/null; then return 0; fi
  rm -f "$KAFKA_PIDFILE"
  local port
  for port in "$WANT_KAFKA_PORT" "$WANT_CONTROLLER_PORT"; do
    if tcp_port_open "$port"; then
      die "kafka: port $port is already in use by another process (not this stack);" \
        "set BOURSE_STACK_KAFKA_PORT / BOURSE_STACK_CONTROLLER_PORT to free ports"
    fi
  done
  kafka_fetch_libs
  kafka_render_config
  kafka_format
  log "kafka: starting $BOURSE_KAFKA_VERSION on 127.0.0.1:$WANT_KAFKA_PORT" \
    "(controller $WANT_CONTROLLER_PORT, log: $KAFKA_LOGFILE)"
  launch_daemon "$KAFKA_PIDFILE" "$KAFKA_OUTFILE" "$(java_bin)" \
    -Xmx512m -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$STACK_TEMPLATES/kafka-log4j.properties" \
    -Dkafka.logs.dir="$KAFKA_LOGDIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPERTIES"
}

kafka_fail() {
  show_log_tail "$KAFKA_LOGFILE" "$KAFKA_OUTFILE"
  die "kafka: $* (log: $KAFKA_LOGFILE)"
}

kafka_wait() {
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until kafka_answers; do
    kafka_pid >/dev/null || kafka_fail "the broker exited during start-up"
    ((SECONDS < deadline)) ||
      kafka_fail "not answering on $(kafka_brokers) after ${KAFKA_START_TIMEOUT}s"
    sleep 0.3
  done
  log "kafka: up on $(kafka_brokers), pid $(kafka_pid) ($(since))"
}

kafka_stop() {
  local pid
  if ! pid="$(kafka_pid)"; then
    rm -f "$KAFKA_PIDFILE"
    log "kafka: not running"
    return 0
  fi
  log "kafka: stopping pid $pid"
  stop_pid "$pid" kafka
  rm -f "$KAFKA_PIDFILE"
  log "kafka: stopped"
}

# SIGKILL, no clean shutdown (chaos): the next start recovers the log.
kafka_kill() {
  local pid
  if pid="$(kafka_pid)"; then
    log "kafka: SIGKILL pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$KAFKA_PIDFILE"
}

kafka_status() {
  local pid state=down
  if pid="$(kafka_pid)"; then
    if kafka_answers; then state=up; else state="not-answering"; fi
  else
    pid="-"
  fi
  printf '%-8s %-14s pid %-8s port %-6s controller %s, Kafka %s\n' kafka "$state" "$pid" \
    "$(kafka_port)" "$(kafka_controller_port)" "$BOURSE_KAFKA_VERSION"
  [[ "$state" == up ]]
}
