#!/usr/bin/env bash
# Runs the whole platform on this machine: a stable inference server (sentiment version 1), a
# canary (version 2) and the gateway in local mode sending 10% of unpinned traffic to the canary.
# Builds what is missing or stale first. Ctrl-C drains and stops everything. Both servers poll
# their model repository (inference-server/target/model-repository): a version folder renamed into
# it serves within seconds, without a restart (docs/models.md, "Changing models while serving").
#
# Environment: GATEWAY_PORT (8080), STABLE_PORT (9000), CANARY_PORT (9001), CANARY_WEIGHT (10),
# SHADOW_PERCENT (0: the share of unpinned calls also answered by the other track and compared),
# STABLE_FLAGS / CANARY_FLAGS (extra inference-server flags, e.g. CANARY_FLAGS="--inject-latency-ms 500").
# The servers' revisions st4ble and c4n4ry stand in for pod-template hashes (rollouts/local-rollout.sh).
set -euo pipefail
cd "$(dirname "$0")"

gateway_port=${GATEWAY_PORT:-8080}
stable_port=${STABLE_PORT:-9000}
canary_port=${CANARY_PORT:-9001}
canary_weight=${CANARY_WEIGHT:-10}
shadow_percent=${SHADOW_PERCENT:-0}
server_jar=inference-server/target/inference-server.jar
gateway_jar=frontend-gateway/target/frontend-gateway.jar
logs=target/local-platform
export OPT_OUT_TRACKING=true

stale() {
  [[ ! -f $1 ]] || [[ -n $(find proto platform inference-server frontend-gateway pom.xml -newer "$1" \
      \( -name '*.java' -o -name '*.proto' -o -name 'pom.xml' -o -path '*/resources/*' -o -path '*/model-repository/*' \) \
      -not -path '*/target/*' -print -quit) ]]
}
if stale "$server_jar" || stale "$gateway_jar"; then
  echo "building (mvn -q -DskipTests -P!images package)..."
  mvn -q -B -DskipTests -P'!images' package
fi

mkdir -p "$logs"
pids=()
stop() {
  trap - INT TERM
  echo
  echo "stopping: the servers drain in-flight calls first"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "stopped"
}
trap stop INT TERM

start() {
  local name=$1; shift
  java "$@" > "$logs/$name.log" 2>&1 &
  pids+=($!)
}

# shellcheck disable=SC2086 # the extra flags are meant to split into words
start stable -jar "$server_jar" --host 127.0.0.1 --port "$stable_port" --management-port $((stable_port + 100)) \
  --default-version sentiment=1 --track stable --revision st4ble --model-control-mode poll ${STABLE_FLAGS:-}
# shellcheck disable=SC2086
start canary -jar "$server_jar" --host 127.0.0.1 --port "$canary_port" --management-port $((canary_port + 100)) \
  --default-version sentiment=2 --track canary --revision c4n4ry --model-control-mode poll ${CANARY_FLAGS:-}
start gateway -jar "$gateway_jar" --host 127.0.0.1 --port "$gateway_port" \
  --stable "127.0.0.1:$stable_port" --canary "127.0.0.1:$canary_port" --canary-weight "$canary_weight" \
  --shadow-percent "$shadow_percent"

for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$((stable_port + 100))/healthz" >/dev/null 2>&1 \
      && curl -fs "http://127.0.0.1:$((canary_port + 100))/healthz" >/dev/null 2>&1 \
      && curl -fs "http://127.0.0.1:$gateway_port/internal/health" | grep -q '"canary":"SERVING"'; then
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a process exited during start-up; see $logs/*.log"; stop; exit 1; }
  done
  sleep 0.5
done

cat <<TXT
The platform is up (logs in $logs/):
  UI        http://127.0.0.1:$gateway_port/ui/
  REST      curl -s -X POST http://127.0.0.1:$gateway_port/v1/models/sentiment:predict -d '{"instances":["Great food"]}'
  API docs  http://127.0.0.1:$gateway_port/docs/
  stable    gRPC 127.0.0.1:$stable_port, metrics http://127.0.0.1:$((stable_port + 100))/metrics (version 1)
  canary    gRPC 127.0.0.1:$canary_port, metrics http://127.0.0.1:$((canary_port + 100))/metrics (version 2, $canary_weight% of traffic)
  shadow    $shadow_percent% of unpinned calls also answered by the other track and compared (SHADOW_PERCENT)
Press Ctrl-C to stop.
TXT
wait "${pids[@]}"
