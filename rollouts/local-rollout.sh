#!/usr/bin/env bash
# Runs the canary rollout live on the local platform: start ./run-local.sh first with the shadow
# comparison on (SHADOW_PERCENT=25), e.g. with CANARY_FLAGS="--inject-latency-ms 500" to watch an
# abort, or with a canary that answers wrong (rollouts/reversed-labels-repository.sh), open the UI,
# then run this. It starts a Prometheus on 127.0.0.1:9090 (Debian's prometheus package) that labels
# the servers and the gateway as a cluster's relabeling would, and runs the Rollout's steps with the real
# AnalysisTemplates, read from the Rollout itself: weights on the gateway, abort (weight 0, canary stopped) on a failed
# analysis, and a manual gate. TIME_SCALE (default 10) speeds the templates' intervals and pauses.
set -euo pipefail
cd "$(dirname "$0")/.."
stable_metrics=${STABLE_METRICS_PORT:-9100}
canary_metrics=${CANARY_METRICS_PORT:-9101}
canary_port=${CANARY_PORT:-9001}
gateway_port=${GATEWAY_PORT:-8080}
dir=target/local-rollout
mkdir -p "$dir"
[[ -f rollouts/target/rollouts.jar ]] || mvn -q -B -DskipTests -P'!images' package
canary_pid=$(pgrep -f -- "--port $canary_port " | head -1) || { echo "no canary on port $canary_port: start ./run-local.sh first"; exit 1; }
cat > "$dir/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: inference-server
    static_configs:
      - targets: ["127.0.0.1:$stable_metrics"]
        labels: {namespace: local, track: stable, rollouts_pod_template_hash: st4ble}
      - targets: ["127.0.0.1:$canary_metrics"]
        labels: {namespace: local, track: canary, rollouts_pod_template_hash: c4n4ry}
  - job_name: frontend-gateway
    static_configs:
      - targets: ["127.0.0.1:$gateway_port"]
        labels: {namespace: local}
YAML
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address=127.0.0.1:9090 > "$dir/prometheus.log" 2>&1 &
prometheus_pid=$!
trap 'kill $prometheus_pid 2>/dev/null' EXIT
echo "Prometheus at http://127.0.0.1:9090; waiting for its first scrapes..."
sleep 8
java -cp rollouts/target/rollouts.jar dev.inference.rollouts.orchestration.LocalRolloutMain \
  --canary-pid "$canary_pid" --time-scale "${TIME_SCALE:-10}" "$@"
