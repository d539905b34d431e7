#!/usr/bin/env bash
# What credentials and rate limits cost at the gateway: the gateway with neither against the gateway
# checking an RS256 JWT (against a JWKS file) and taking each call from a client's token bucket in
# Redis, at concurrency 32. The calls are ModelInfer of the tiny tensor model of TabularMlp (one row),
# so that the gateway's own cost is not lost in the model's. The inference server and the gateway
# run on the last CPU, the load generator and Redis on the others; each gateway is warmed for WARMUP
# seconds, then measured for SECONDS_MEASURED; configurations interleave over ROUNDS rounds.
# Prints the gateway's CPU per call (from /proc; its JIT compiler threads' CPU apart, as
# jit_us_per_call) and the calls' p50 and p99. CONFIGS picks the configurations (default
# "off jwt-redis"; also jwt, local, redis); GATEWAY_JAVA_OPTS is passed to the
# gateway's JVM, say a profiler. BASELINE_GATEWAY_JAR, when set, runs each configuration with that jar
# too (named <config>-base), interleaved, so that a change to the gateway is measured against the
# jar before it in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-loadtest/target/edge-check}; ROUNDS=${ROUNDS:-3}; WARMUP=${WARMUP:-20}; SECONDS_MEASURED=${SECONDS_MEASURED:-15}
SERVER_JAR=${SERVER_JAR:-inference-server/target/inference-server.jar}
GATEWAY_JAR=${GATEWAY_JAR:-frontend-gateway/target/frontend-gateway.jar}
LOADTEST_JAR=${LOADTEST_JAR:-loadtest/target/loadtest.jar}
# PAIRED=1 runs the gateways of a round side by side on the same CPU, each with its own load
# generator, rather than one after the other, so that every configuration meets the same neighbours
# at the same moment (this machine's speed drifts by a half within minutes); each gets a share of the CPU.
# The one started second measured about 3% cheaper than an identical first one in an A/A run
# (RESULTS.md), so the order of the configurations is reversed every other round.
PAIRED=${PAIRED:-0}
rm -rf "$OUT" && mkdir -p "$OUT"
last=$(( $(nproc) - 1 )); server_cpu=$last; client_cpu=0-$(( last > 0 ? last - 1 : 0 ))
ticks=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# CPU ticks of a JVM's JIT compiler threads: compilation that goes on after the warm-up is counted
# apart, since it is not what a call costs once the gateway is warm. (A thread's name holds spaces,
# so its stat is read after the name's closing parenthesis.)
jit_ticks() { cat /proc/"$1"/task/*/stat 2>/dev/null | grep -E '\((C1|C2) Compiler' | sed 's/.*) //' | awk '{s+=$12+$13} END {print s+0}'; }
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# An identity provider of our own: an RSA key, its JWKS, and a token for client "bench".
openssl genrsa -out "$OUT/key.pem" 2048 2>/dev/null
modulus=$(openssl rsa -in "$OUT/key.pem" -noout -modulus | cut -d= -f2)
python3 - "$modulus" > "$OUT/jwks.json" <<'PY'
import base64, json, sys
n = bytes.fromhex(sys.argv[1])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
print(json.dumps({"keys": [{"kty": "RSA", "kid": "bench", "use": "sig", "alg": "RS256", "n": b64(n), "e": b64((65537).to_bytes(3, "big"))}]}))
PY
header=$(printf '{"alg":"RS256","kid":"bench","typ":"JWT"}' | b64url)
payload=$(printf '{"iss":"https://id.bench.test/","aud":"inference-platform","sub":"bench","exp":%d}' $(( $(date +%s) + 86400 )) | b64url)
signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$OUT/key.pem" | b64url)
token="$header.$payload.$signature"

java -cp "$SERVER_JAR" dev.inference.server.bench.TabularMlp "$OUT/repository/mlp/1" >/dev/null
port=$(free_port); mport=$(free_port); redis_port=$(free_port)
OPT_OUT_TRACKING=true taskset -c $server_cpu java -jar "$SERVER_JAR" --host 127.0.0.1 --port "$port" --management-port "$mport" \
  --model-repository "$OUT/repository" > "$OUT/server.log" 2>&1 &
server=$!
taskset -c $client_cpu redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no > "$OUT/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $server $redis_pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null; do sleep 0.5; done

# The gateways being measured: started by start(), measured and stopped by measure().
pids=(); gports=(); names=()
start() { # name, gateway flags... (the jar is $jar)
  local name=$1; shift
  local gport gmport
  gport=$(free_port); gmport=$(free_port)
  taskset -c $server_cpu java ${GATEWAY_JAVA_OPTS:-} -jar "$jar" --host 127.0.0.1 --port "$gport" --management-port "$gmport" \
    --upstream "127.0.0.1:$port" "$@" > "$OUT/gateway-$name.log" 2>&1 &
  pids+=($!); gports+=("$gport"); names+=("$name")
  until curl -sf "http://127.0.0.1:$gmport/internal/health" >/dev/null; do sleep 0.5; done
}
each() { # seconds, out prefix: loads every started gateway at once
  local seconds=$1 prefix=$2 i loads=()
  for i in "${!pids[@]}"; do
    taskset -c $client_cpu java -jar "$LOADTEST_JAR" grpc --target "127.0.0.1:${gports[$i]}" --api v2 --model mlp \
      --concurrency 32 --header "authorization=Bearer $token" --warmup 0s --duration "${seconds}s" \
      --out "$prefix${names[$i]}" > "$prefix${names[$i]}.txt" 2>&1 &
    loads+=($!)
  done
  wait "${loads[@]}"
}
measure() {
  local i t0=() t1=() j0=() j1=() calls
  each "$WARMUP" "$OUT/warm-"
  for i in "${!pids[@]}"; do t0+=("$(awk '{print $14+$15}' "/proc/${pids[$i]}/stat")"); j0+=("$(jit_ticks "${pids[$i]}")"); done
  each "$SECONDS_MEASURED" "$OUT/"
  for i in "${!pids[@]}"; do t1+=("$(awk '{print $14+$15}' "/proc/${pids[$i]}/stat")"); j1+=("$(jit_ticks "${pids[$i]}")"); done
  kill -TERM "${pids[@]}"; wait "${pids[@]}" || true
  for i in "${!pids[@]}"; do
    calls=$(grep -o '"calls": *[0-9]*' "$OUT/${names[$i]}/result.json" | grep -o '[0-9]*$')
    python3 - "$OUT/${names[$i]}/result.json" "${names[$i]}" \
      "$(echo "scale=1; (${t1[$i]}-${t0[$i]}-${j1[$i]}+${j0[$i]})*1000000/$ticks/$calls" | bc)" \
      "$(echo "scale=1; (${j1[$i]}-${j0[$i]})*1000000/$ticks/$calls" | bc)" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
latency, outcomes = result["latencyMillis"], result["outcomes"]
print(f"{sys.argv[2]} gateway_cpu_us_per_call={sys.argv[3]} jit_us_per_call={sys.argv[4]} calls_per_s={result['calls'] / result['seconds']:.0f}"
      f" p50_ms={latency['p50']:.3f} p99_ms={latency['p99']:.3f} outcomes={outcomes}")
PY
  done
  pids=(); gports=(); names=()
}
jwt=(--jwks "$OUT/jwks.json" --jwt-issuer https://id.bench.test/ --jwt-audience inference-platform)
limit=(--rate-limit 1000000 --rate-limit-burst 1000000)
shared_limit=("${limit[@]}" --redis "redis://127.0.0.1:$redis_port")
configs=(${CONFIGS:-off jwt-redis})
for round in $(seq 1 "$ROUNDS"); do
  # Every other round in the reverse order, so that no configuration is always started (or run) first.
  order=("${configs[@]}"); (( round % 2 )) || mapfile -t order < <(printf '%s\n' "${configs[@]}" | tac)
  for config in "${order[@]}"; do
    for jar in "$GATEWAY_JAR" ${BASELINE_GATEWAY_JAR:-}; do
      name=$config-r$round; [ "$jar" = "$GATEWAY_JAR" ] || name=$config-base-r$round
      case $config in
        off) start "$name" ;;
        jwt) start "$name" "${jwt[@]}" ;;
        local) start "$name" "${limit[@]}" ;;
        redis) start "$name" "${shared_limit[@]}" ;;
        jwt-redis) start "$name" "${jwt[@]}" "${shared_limit[@]}" ;;
        *) echo "unknown configuration $config (off, jwt, local, redis, jwt-redis)" >&2; exit 2 ;;
      esac
      [ "$PAIRED" = 1 ] || measure
    done
  done
  [ "$PAIRED" = 0 ] || measure
done
# How often the gateways asked Redis, to set against the calls above.
redis-cli -p "$redis_port" info commandstats | grep -E '^cmdstat_(eval|evalsha|get|psetex)' || true
