#!/usr/bin/env bash
# How long a server takes from `java` to SERVING, with and without the warm-up and the Class Data
# Sharing archive the image ships (inference-server/Dockerfile makes it the same way: a training
# run with --exit-when-serving). Time to the first 200 from /healthz, polled every 20 ms, as a
# probe sees it; configurations interleave, ROUNDS rounds, so drift favours none.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-loadtest/target/startup-check}; ROUNDS=${ROUNDS:-4}
SERVER_JAR=$(realpath "${SERVER_JAR:-inference-server/target/inference-server.jar}")
mkdir -p "$OUT"
archive=$OUT/classes.jsa
rm -f "$archive"
OPT_OUT_TRACKING=true java -XX:ArchiveClassesAtExit="$archive" -Xlog:cds=error -Dai.djl.offline=true -jar "$SERVER_JAR" \
  --host 127.0.0.1 --port 0 --management-port 0 --exit-when-serving > "$OUT/training-run.log" 2>&1
run() { # name, java flags..., --, server flags...
  local name=$1; shift
  local jvm=()
  while [[ $1 != -- ]]; do jvm+=("$1"); shift; done; shift
  local mport start pid
  mport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  start=$(date +%s%N)
  OPT_OUT_TRACKING=true java "${jvm[@]}" -Dai.djl.offline=true -jar "$SERVER_JAR" \
    --host 127.0.0.1 --port 0 --management-port "$mport" "$@" > "$OUT/$name.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$mport/healthz"; do sleep 0.02; done
  echo "$name healthy_after_ms=$(( ($(date +%s%N) - start) / 1000000 ))" \
    "$(grep -o 'SERVING [0-9]* ms after start' "$OUT/$name.log")"
  kill -TERM $pid; wait $pid || true
}
for round in $(seq 1 "$ROUNDS"); do
  run "no-warm-up-r$round" -- --warm-up-ms 0
  run "warm-up-r$round" -- --warm-up-ms 1500
  run "warm-up-cds-r$round" -XX:SharedArchiveFile="$archive" -- --warm-up-ms 1500
  run "no-warm-up-cds-r$round" -XX:SharedArchiveFile="$archive" -- --warm-up-ms 0
done
