#!/usr/bin/env bash
# What a padding bound buys on short and long texts together: batching off, max batch 8 with the
# default padding bound, with a tighter one, and with none; server CPU per text and texts/s at
# concurrency 32 on the mixed-length corpus. The server runs on the last CPU, the load generator
# on the others; each server is warmed for WARMUP seconds first (90 s: this machine's JIT takes
# that long to quieten); configurations interleave, ROUNDS rounds, so drift favours none.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-loadtest/target/padding-check}; ROUNDS=${ROUNDS:-2}; WARMUP=${WARMUP:-90}; SECONDS_MEASURED=${SECONDS_MEASURED:-30}
mkdir -p "$OUT"
last=$(( $(nproc) - 1 )); server_cpu=$last; client_cpu=0-$(( last > 0 ? last - 1 : 0 ))
ticks=$(getconf CLK_TCK)
run() { # name, server flags...
  local name=$1; shift
  local port mport
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  mport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  OPT_OUT_TRACKING=true taskset -c $server_cpu java -jar "${SERVER_JAR:-inference-server/target/inference-server.jar}" \
    --host 127.0.0.1 --port "$port" --management-port "$mport" --default-version sentiment=1 "$@" > "$OUT/server-$name.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null; do sleep 0.5; done
  taskset -c $client_cpu java -jar "${LOADTEST_JAR:-loadtest/target/loadtest.jar}" grpc --target "127.0.0.1:$port" --concurrency 32 \
    --mixed-lengths --warmup "${WARMUP}s" --duration 1s --out "$OUT/warm-$name" >/dev/null 2>&1
  local t0 t1 texts
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  taskset -c $client_cpu java -jar "${LOADTEST_JAR:-loadtest/target/loadtest.jar}" grpc --target "127.0.0.1:$port" --concurrency 32 \
    --mixed-lengths --warmup 0s --duration "${SECONDS_MEASURED}s" --out "$OUT/$name" > "$OUT/$name.txt" 2>&1
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  kill -TERM $pid; wait $pid || true
  texts=$(grep -o '"calls": *[0-9]*' "$OUT/$name/result.json" | grep -o '[0-9]*$')
  echo "$name cpu_ms_per_text=$(echo "scale=2; ($t1-$t0)*1000/$ticks/$texts" | bc)" \
    "texts_per_s=$(echo "scale=1; $texts/$SECONDS_MEASURED" | bc)"
}
for round in $(seq 1 "$ROUNDS"); do
  run "off-r$round" --max-batch-size 1
  run "bound1.25-r$round" --max-batch-size 8 --max-padding-ratio 1.25 --no-batch-cost-learning
  run "bound1.1-r$round" --max-batch-size 8 --max-padding-ratio 1.1 --no-batch-cost-learning
  run "nobound-r$round" --max-batch-size 8 --max-padding-ratio Infinity --no-batch-cost-learning
done
