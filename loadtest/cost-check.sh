#!/usr/bin/env bash
# Does batching from measured cost (--batch-cost-learning) ever cost more CPU per text than not
# batching at all? Server CPU per text and texts/s at concurrency 32, batching on (max batch 8, the
# learned rule under the default padding bound) against batching off (max batch 1), on three corpora:
# the built-in short reviews, long texts only (five reviews in a row), and the two mixed (every third
# text long). For versions 1 and 2. The server runs on the last CPU, the load generator on the others;
# each server is warmed for WARMUP seconds on the mixed corpus first, then each corpus gets 5 s more
# before its SECONDS_MEASURED; configurations interleave over ROUNDS rounds, so drift favours none.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-loadtest/target/cost-check}; ROUNDS=${ROUNDS:-3}; WARMUP=${WARMUP:-40}; SECONDS_MEASURED=${SECONDS_MEASURED:-15}
VERSIONS=${VERSIONS:-1 2}; CORPORA=${CORPORA:-short long mixed}
# PADDING_ONLY=1 adds the padding bound alone (max batch 8, no cost learning) as a third configuration.
PADDING_ONLY=${PADDING_ONLY:-0}
mkdir -p "$OUT"
last=$(( $(nproc) - 1 )); server_cpu=$last; client_cpu=0-$(( last > 0 ? last - 1 : 0 ))
ticks=$(getconf CLK_TCK)
loadtest=${LOADTEST_JAR:-loadtest/target/loadtest.jar}
# Long texts only: five built-in reviews in a row per line.
unzip -p "$loadtest" corpus.txt | grep -v '^#' | grep -v '^[[:space:]]*$' \
  | awk '{ line = line (n ? " " : "") $0; n++; if (n == 5) { print line; line = ""; n = 0 } }' > "$OUT/long.txt"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
load() { # port, seconds, out, corpus flags...
  local port=$1 seconds=$2 out=$3; shift 3
  taskset -c $client_cpu java -jar "$loadtest" grpc --target "127.0.0.1:$port" --concurrency 32 "$@" \
    --warmup 0s --duration "${seconds}s" --out "$out" > "$out.txt" 2>&1
}
run() { # version, name, server flags...
  local version=$1 name=$2; shift 2
  local port mport pid
  port=$(free_port); mport=$(free_port)
  OPT_OUT_TRACKING=true taskset -c $server_cpu java -jar "${SERVER_JAR:-inference-server/target/inference-server.jar}" \
    --host 127.0.0.1 --port "$port" --management-port "$mport" --default-version "sentiment=$version" "$@" \
    > "$OUT/server-v$version-$name.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null; do sleep 0.5; done
  load "$port" "$WARMUP" "$OUT/warm-v$version-$name" --mixed-lengths
  for corpus in $CORPORA; do
    local flags=()
    case $corpus in long) flags=(--corpus "$OUT/long.txt") ;; mixed) flags=(--mixed-lengths) ;; esac
    load "$port" 5 "$OUT/warm-v$version-$name-$corpus" "${flags[@]}"
    local t0 t1 texts
    t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
    load "$port" "$SECONDS_MEASURED" "$OUT/v$version-$name-$corpus" "${flags[@]}"
    t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
    texts=$(grep -o '"calls": *[0-9]*' "$OUT/v$version-$name-$corpus/result.json" | grep -o '[0-9]*$')
    echo "v$version $corpus $name cpu_ms_per_text=$(echo "scale=3; ($t1-$t0)*1000/$ticks/$texts" | bc)" \
      "texts_per_s=$(echo "scale=1; $texts/$SECONDS_MEASURED" | bc)"
  done
  kill -TERM "$pid"; wait "$pid" || true
}
for round in $(seq 1 "$ROUNDS"); do
  for version in $VERSIONS; do
    run "$version" "off-r$round" --max-batch-size 1
    run "$version" "learned-r$round" --max-batch-size 8 --batch-cost-learning
    if [ "$PADDING_ONLY" = 1 ]; then
      run "$version" "padding-r$round" --max-batch-size 8 --no-batch-cost-learning
    fi
  done
done
