#!/usr/bin/env bash
# Runs the standard scenarios against Tern and Mosquitto, one after the other, each broker pinned
# to CPU 0 and the generator to CPU 1, and prints one table with the ratio Tern / Mosquitto.
#   bench/compare.sh [SECONDS] [SCENARIO_FILTER]
#     SECONDS defaults to 10; SCENARIO_FILTER is a regex on scenario names (e.g. 'q1$').
#     'connections' (only when the filter names it) holds CONNECTIONS idle connections (default
#     19000) for HOLD seconds (default 60) and reports connect rate and RSS per connection;
#     IN_FLIGHT (default 1: one connect at a time) keeps that many connects under way at once.
#     Before each latency run the generator runs the same scenario for 10 s against a scratch
#     Mosquitto (port 18835), so its own JIT does not stall the measured run (GENERATOR_WARM_UP=0:
#     measure with a cold generator, as before). For the latency rows the generator's JVM also
#     compiles with C1 only (LATENCY_GENERATOR_JAVA_OPTS, default -XX:TieredStopAtLevel=1): its C2
#     compiles, still going on after the warm-up, were behind half the slow messages of a run for
#     either broker (perf sched). At 1,000 msg/s the generator is far from its CPU limit.
#     DEFAULT_CONFIG=1 runs Tern on config/tern.yaml, the shipped defaults (every listener, $SYS
#     every 10 s, info logging, 1,000 queued messages per session), as a user or an outside check
#     would start it; only the TCP address, the other listeners' ports (0: any free one) and the data
#     directory are moved, through environment overrides. Otherwise Tern runs the tuned file below.
#     ROUNDS=N (default 1) runs every scenario N times and prints medians. The order alternates:
#     odd rounds run Tern first, even rounds Mosquitto first, so neither broker always runs right
#     after the other's exit on its core. A latency p99 moves by a tenth or more between single
#     runs on a shared machine; a claim about it needs ROUNDS=20 or so, read as the median of the
#     per-round ratios it prints.
#     MQTT=5 runs every generator connection on MQTT 5 (default 3.1.1).
#     UNPINNED=1 runs brokers and generator without taskset, free to share every core, as a broker
#     started without CPU options runs next to its clients (read its rows against each other only).
#     Needs mosquitto, taskset, bc, and built broker-app/target/tern.jar and bench/target/tern-bench.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
filter="${2:-.}"
tern_port=18833
mosq_port=18834
scratch_port=18835
generator_warm_up="${GENERATOR_WARM_UP:-1}"
rounds="${ROUNDS:-1}"
default_config="${DEFAULT_CONFIG:-0}"
broker_cpu=(taskset -c 0)
generator_cpu=(taskset -c 1)
if [[ "${UNPINNED:-0}" == 1 ]]; then
  broker_cpu=()
  generator_cpu=()
fi
latency_generator_java_opts="${LATENCY_GENERATOR_JAVA_OPTS--XX:TieredStopAtLevel=1}"
mqtt_version="${MQTT:-3.1.1}"
tern_jar="broker-app/target/tern.jar"
bench_jar="bench/target/tern-bench.jar"
work=$(mktemp -d)
trap 'kill "$broker_pid" $scratch_pid 2>/dev/null || true; rm -rf "$work"' EXIT
broker_pid=""
scratch_pid=""

cat > "$work/tern.yaml" <<YAML
listeners:
  tcp: { host: 127.0.0.1, port: $tern_port }
sessions: { max_queued_messages: 100000 }
mqtt: { max_inflight_messages: 20 }
server: { io_threads: 1, sys_interval_seconds: 0 }
logging: { levels: { io.tern: warn } }
# The default durable store; the scenarios' clean sessions never write to it.
storage: { type: rocksdb, dir: $work/data }
YAML
write_mosquitto_conf() { # PORT FILE
  cat > "$2" <<CONF
listener $1 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
max_inflight_messages 20
set_tcp_nodelay true
log_dest none
CONF
}
write_mosquitto_conf "$mosq_port" "$work/mosquitto.conf"
write_mosquitto_conf "$scratch_port" "$work/scratch.conf"

scenarios=(
  "fanin --qos 0" "fanin --qos 1"
  "fanout --qos 0 --subscribers 100" "fanout --qos 1 --subscribers 100"
  "pairs --qos 0 --pairs 100" "pairs --qos 1 --pairs 100"
  "latency --qos 0 --rate 1000" "latency --qos 1 --rate 1000"
)
connections="${CONNECTIONS:-19000}"
hold="${HOLD:-60}"
in_flight="${IN_FLIGHT:-1}"
if [[ "$filter" == *connections* ]]; then
  scenarios+=("connections --connections $connections --hold $hold --in-flight $in_flight")
fi

wait_port() {
  for _ in $(seq 1 300); do # Tern warms up (a few seconds) before it listens
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "broker on port $1 did not start" >&2
  return 1
}

scenario_name() { # "fanin --qos 1" -> fanin-q1; "connections ..." -> connections
  awk '{ if ($2 == "--qos") print $1"-q"$3; else print $1 }' <<<"$1"
}

# The JVM flags of the packaged daemon (packaging/docker/entrypoint.sh, the systemd unit).
tern_java_opts="${TERN_JAVA_OPTS:--XX:+UseG1GC -XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError}"

start_broker() { # tern|mosquitto; sets broker_pid and port
  if [[ "$1" == tern ]]; then
    if [[ "$default_config" == 1 ]]; then
      # shellcheck disable=SC2086
      TERN_LISTENERS_TCP_HOST=127.0.0.1 TERN_LISTENERS_TCP_PORT=$tern_port TERN_LISTENERS_WEBSOCKET_PORT=0 \
        TERN_LISTENERS_HTTP_PORT=0 TERN_LISTENERS_COAP_PORT=0 TERN_STORAGE_DIR="$work/data" \
        "${broker_cpu[@]}" java $tern_java_opts -jar "$tern_jar" --config config/tern.yaml >> "$work/tern.log" 2>&1 &
    else
      # shellcheck disable=SC2086
      "${broker_cpu[@]}" java $tern_java_opts -jar "$tern_jar" --config "$work/tern.yaml" >> "$work/tern.log" 2>&1 &
    fi
    port=$tern_port
  else
    "${broker_cpu[@]}" mosquitto -c "$work/mosquitto.conf" >> "$work/mosquitto.log" 2>&1 &
    port=$mosq_port
  fi
  broker_pid=$!
  wait_port "$port" || { tail -n 5 "$work/$1.log" >&2; return 1; }
}

stop_broker() {
  kill -TERM "$broker_pid"
  wait "$broker_pid" || true
  broker_pid=""
}

# Each scenario gets a fresh broker per run: no heap, queue or allocator state carries over from
# one run to the next, and both brokers run it minutes apart at most.
for round in $(seq 1 "$rounds"); do
order=(tern mosquitto)
(( round % 2 == 0 )) && order=(mosquitto tern)
for scenario in "${scenarios[@]}"; do
  scenario_name "$scenario" | grep -Eq "$filter" || continue
  warm_up=()
  generator_java_opts=()
  if [[ "$scenario" == latency* ]]; then
    # shellcheck disable=SC2206
    generator_java_opts=($latency_generator_java_opts)
  fi
  if [[ "$scenario" == latency* && "$generator_warm_up" != 0 ]]; then
    if [[ -z "$scratch_pid" ]]; then # the generator's warm-up partner, idle while a broker is measured
      "${broker_cpu[@]}" mosquitto -c "$work/scratch.conf" >> "$work/scratch.log" 2>&1 &
      scratch_pid=$!
      wait_port "$scratch_port"
    fi
    warm_up=(--warm-up-port "$scratch_port" --warm-up-seconds 10)
  fi
  for broker in "${order[@]}"; do
    start_broker "$broker"
    # shellcheck disable=SC2086
    line=$("${generator_cpu[@]}" java "${generator_java_opts[@]}" -Dio.netty.leakDetection.level=disabled -jar "$bench_jar" --port "$port" \
      --scenario $scenario --duration "$seconds" --mqtt "$mqtt_version" --broker-pid "$broker_pid" "${warm_up[@]}" 2>/dev/null)
    peak=$(awk '/VmHWM/ {print $2}' "/proc/$broker_pid/status")
    stop_broker
    echo "$broker round=$round $line peak_rss_kb=$peak" | tee -a "$work/results"
  done
done
done

echo
[[ "$rounds" -gt 1 ]] && echo "medians of $rounds rounds; p99_r: median of the per-round p99 ratios; lost: sum over rounds"
printf "%-12s %11s %11s %6s %14s %14s %6s %11s %11s %6s %14s %9s %9s\n" scenario tern_msg/s mosq_msg/s ratio \
  tern_per_cpu_s mosq_per_cpu_s ratio tern_p99_us mosq_p99_us p99_r lost_t/m tern_pk_mb mosq_pk_mb
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
values() { # BROKER SCENARIO FIELD: one value per round, in round order
  grep "^$1 round=[0-9]* scenario=$(awk '{print $1}' <<<"$2") qos=$(awk '{print $3}' <<<"$2") " "$work/results" |
    sed -n "s/.* $3=\([^ ]*\).*/\1/p"
}
# OFMT: awk prints a non-integral number with six digits by default, 1.47141e+06 for a median of
# two rates, which bc then refuses ("syntax error", and a ratio of 0.00 in the table).
median() { sort -g | awk -v OFMT=%.10g '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for scenario in "${scenarios[@]}"; do
  name=$(scenario_name "$scenario")
  [[ "$name" == connections ]] && continue
  echo "$name" | grep -Eq "$filter" || continue
  tr=$(values tern "$scenario" rate | median); mr=$(values mosquitto "$scenario" rate | median)
  tc=$(values tern "$scenario" per_cpu_s | median); mc=$(values mosquitto "$scenario" per_cpu_s | median)
  p99_ratio=$(paste <(values tern "$scenario" p99_us) <(values mosquitto "$scenario" p99_us) |
    awk '{ print $1 / ($2 + 0.0001) }' | median)
  lost=$(values tern "$scenario" lost | awk '{ s += $1 } END { print s }')/$(values mosquitto "$scenario" lost | awk '{ s += $1 } END { print s }')
  printf "%-12s %11s %11s %6.2f %14s %14s %6.2f %11s %11s %6.2f %14s %9d %9d\n" "$name" "$tr" "$mr" \
    "$(echo "$tr / ($mr + 0.0001)" | bc -l)" "$tc" "$mc" "$(echo "$tc / ($mc + 0.0001)" | bc -l)" \
    "$(values tern "$scenario" p99_us | median)" "$(values mosquitto "$scenario" p99_us | median)" "$p99_ratio" "$lost" \
    "$(( $(values tern "$scenario" peak_rss_kb | median | cut -d. -f1) / 1024 ))" \
    "$(( $(values mosquitto "$scenario" peak_rss_kb | median | cut -d. -f1) / 1024 ))"
done
if grep -q "scenario=connections" "$work/results"; then
  t=$(grep "^tern round=1 scenario=connections" "$work/results"); m=$(grep "^mosquitto round=1 scenario=connections" "$work/results")
  echo
  printf "%-12s %12s %10s %12s %14s %14s %14s %14s\n" broker connections in_flight still_open connect_rate \
    rss_before_kb rss_after_kb kb_per_conn
  for line in "$t" "$m"; do
    printf "%-12s %12s %10s %12s %14s %14s %14s %14s\n" "${line%% *}" "$(field "$line" connections)" \
      "$(field "$line" in_flight)" "$(field "$line" still_open)" "$(field "$line" connect_rate)" \
      "$(field "$line" broker_rss_before_kb)" "$(field "$line" broker_rss_after_kb)" \
      "$(field "$line" rss_per_connection_kb)"
  done
fi
