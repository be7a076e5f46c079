# Shared by the benchmark runners: start the local stack, build Release binaries in
# build/release-bench, and run bourse servers on a fresh database and fresh topics,
# stopped (the database dropped, the topics deleted) on exit. Source it from the repository root.
#
#   bench_setup TARGET...            stack up, env loaded, TARGETs built (plus bourse)
#   bench_start_servers NAME N [--set k=v ...]
#                                    N servers on one fresh database "bourse_NAME_<pid>";
#                                    sets bench_db, bench_ports (comma list), bench_logs
#   bench_cpu_pids                   "bourse=P[+P...],mariadb=P,kafka=P" for loadgen --cpu-pids
# BOURSE_BENCH_SERVER=/path/to/bourse runs another build of the server.
source scripts/lib/deps.sh

bench_sql() {
  MYSQL_PWD="$BOURSE_DB_PASSWORD" mariadb --no-defaults --protocol=tcp -h "$BOURSE_DB_HOST" \
    -P "$BOURSE_DB_PORT" -u "$BOURSE_DB_USER" --batch --skip-column-names "$@"
}

bench_build_dir=build/release-bench

bench_setup() {
  bourse_ensure_packages
  scripts/stack up >&2
  set -a; source .stack/env; set +a
  cmake -S . -B "$bench_build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBOURSE_BUILD_TESTS=OFF \
    -DBOURSE_BUILD_BENCHMARKS=ON >/dev/null
  ninja -C "$bench_build_dir" -j2 bourse "$@" >&2
}

bench_servers=()
bench_db=""
bench_topic_prefix=""
bench_cleanup() {
  local pid
  for pid in "${bench_servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bench_servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  # An if, not `[[ ]] && ...`: as the EXIT trap's last command under set -e, a false
  # test would turn the script's exit status into 1 after a run that succeeded.
  if [[ -n "$bench_db" ]]; then bench_sql -e "DROP DATABASE IF EXISTS \`$bench_db\`" || true; fi
  # The run's topics too (a regular expression on their prefix): a local broker that keeps
  # every run's 8-partition topics grows by gigabytes over a day of benchmarking.
  if [[ -n "$bench_topic_prefix" ]]; then
    scripts/stack kafka-topics --delete --topic "${bench_topic_prefix//./\\.}.*" >/dev/null 2>&1 || true
  fi
  bench_db=""
  bench_topic_prefix=""
}

bench_start_servers() {
  local name="$1" count="$2"
  shift 2
  bench_db="bourse_${name}_$$"
  local prefix="${name}$(date +%s)p$$."
  bench_topic_prefix="$prefix"
  local server_bin="${BOURSE_BENCH_SERVER:-$bench_build_dir/src/bourse}"
  bench_sql -e "DROP DATABASE IF EXISTS \`$bench_db\`; CREATE DATABASE \`$bench_db\`"
  trap bench_cleanup EXIT
  bench_ports=""
  bench_logs=()
  local i port log
  for ((i = 0; i < count; i++)); do
    port=$((BOURSE_HTTP_PORT + 150 + i))
    log="$PWD/$bench_build_dir/${name}-$$-$i.log"
    (export BOURSE_DB_NAME="$bench_db" && exec "$server_bin" serve --config config/bourse.toml \
      --set "migrations.dir=$PWD/migrations" --set http.port="$port" \
      --set kafka.topic_prefix="$prefix" --set kafka.client_id="bench$i" --set log.level=warn \
      "$@") >"$log" 2>&1 &
    bench_servers+=($!)
    bench_logs+=("$log")
    bench_ports+="${bench_ports:+,}$port"
    local ready=0
    for _ in $(seq 1 300); do
      kill -0 "${bench_servers[-1]}" 2>/dev/null || { cat "$log" >&2; return 1; }
      curl -sf "127.0.0.1:$port/readyz" >/dev/null && { ready=1; break; }
      sleep 0.2
    done
    ((ready)) || { echo "bench: server $i not ready" >&2; return 1; }
  done
  echo "bench: $count server(s) on ports $bench_ports, database $bench_db" >&2
}

bench_cpu_pids() {
  local servers="${bench_servers[*]}"
  echo "bourse=${servers// /+},mariadb=$(cat .stack/mariadb/mariadbd.pid),kafka=$(cat .stack/kafka/kafka.pid)"
}
