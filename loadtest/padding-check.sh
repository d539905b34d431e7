#!/usr/bin/env bash
# Batching off / on without a padding bound / on with the bound: server CPU per text and texts/s,
# version 1, built-in corpus (mixed lengths), closed loop at concurrency 32, warm (40 s warm-up).
set -euo pipefail
cd "$(dirname "$0")/.."; mkdir -p "${OUT:-target/padding-check}"
TICKS=$(getconf CLK_TCK)
port=19000; mport=19100
run() { # name, server flags...
  local name=$1; shift
  OPT_OUT_TRACKING=true java -jar inference-server/target/inference-server.jar --host 127.0.0.1 --port $port \
    --management-port $mport --default-version sentiment=1 "$@" > ${OUT:-target/padding-check}/server-$name.log 2>&1 &
  local pid=$!
  until curl -sf http://127.0.0.1:$mport/healthz >/dev/null; do sleep 0.5; done
  java -jar loadtest/target/loadtest.jar grpc --target 127.0.0.1:$port --concurrency 32 --warmup 40s --duration 1s \
    --out ${OUT:-target/padding-check}/warm-$name >/dev/null 2>&1
  local t0; t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  java -jar loadtest/target/loadtest.jar grpc --target 127.0.0.1:$port --concurrency 32 --warmup 0s --duration 30s \
    --out ${OUT:-target/padding-check}/$name > ${OUT:-target/padding-check}/$name.txt 2>&1
  local t1; t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill -TERM $pid; wait $pid || true
  local texts; texts=$(grep -o '"calls" *: *[0-9]*' ${OUT:-target/padding-check}/$name/*.json | head -1 | grep -o '[0-9]*$')
  echo "$name texts=$texts cpu_ms_per_text=$(echo "scale=3; ($t1-$t0)*1000/$TICKS/$texts" | bc) texts_per_s=$(echo "scale=1; $texts/30" | bc)"
}
for round in 1 2; do
  run "off-r$round" --max-batch-size 1
  run "nobound-r$round" --max-batch-size 8 --max-padding-ratio Infinity
  run "bound125-r$round" --max-batch-size 8 --max-padding-ratio 1.25
done
