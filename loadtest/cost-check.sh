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
# PAIRED=1 runs the configurations' servers side by side on the same CPU, each with its own load
# generator, instead of one after the other: every configuration then meets the same neighbours at
# the same moment, which a shared machine whose speed drifts by a half within minutes needs. Each
# server gets about its share of the CPU; a closed loop at concurrency 32 keeps its queue full anyway.
# The one started second measured about 3% cheaper than an identical first one in an A/A run
# (RESULTS.md), so the order of the configurations is reversed every other round.
PAIRED=${PAIRED:-0}
# SLICES=n starts the servers side by side as PAIRED=1 does, but loads one at a time: each corpus is
# measured in n turns of SLICE_SECONDS per server, the order of a turn reversed every other turn
# (A B, B A, ...), and each turn's ratio to batching off is reported with the median over the turns.
# Both servers then run alone on the CPU, as in production, and what they are compared in is
# seconds apart, so neither a neighbour's caches nor the machine's drift over minutes weighs on one side.
SLICES=${SLICES:-0}; SLICE_SECONDS=${SLICE_SECONDS:-10}
(( SLICES == 0 )) || PAIRED=1
mkdir -p "$OUT"
# Whether batches pay depends on the CPU (an AMD EPYC and an Intel Xeon with AMX disagreed, RESULTS.md).
echo "# cpu:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cpus"
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
# The servers being measured: started by start(), measured and stopped by measure().
pids=(); ports=(); names=()
start() { # version, name, server flags...
  local version=$1 name=$2; shift 2
  local port mport
  port=$(free_port); mport=$(free_port)
  OPT_OUT_TRACKING=true taskset -c $server_cpu java -jar "${SERVER_JAR:-inference-server/target/inference-server.jar}" \
    --host 127.0.0.1 --port "$port" --management-port "$mport" --default-version "sentiment=$version" "$@" \
    > "$OUT/server-v$version-$name.log" 2>&1 &
  pids+=($!); ports+=("$port"); names+=("$name")
  until curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null; do sleep 0.5; done
}
each() { # seconds, out prefix, corpus flags...: loads every started server at once
  local seconds=$1 prefix=$2 i loads=(); shift 2
  for i in "${!pids[@]}"; do load "${ports[$i]}" "$seconds" "$prefix-${names[$i]}" "$@" & loads+=($!); done
  wait "${loads[@]}"
}
texts_in() { grep -o '"calls": *[0-9]*' "$1/result.json" | grep -o '[0-9]*$'; } # a load run's output folder
cpu_ticks() { for pid in "${pids[@]}"; do awk '{print $14+$15}' "/proc/$pid/stat"; done; }
measure() { # version
  local version=$1 i
  each "$WARMUP" "$OUT/warm-v$version" --mixed-lengths
  for corpus in $CORPORA; do
    local flags=() t0 t1 texts
    case $corpus in long) flags=(--corpus "$OUT/long.txt") ;; mixed) flags=(--mixed-lengths) ;; esac
    each 5 "$OUT/warm-v$version-$corpus" "${flags[@]}"
    if (( SLICES > 0 )); then
      sliced "$version" "$corpus" "${flags[@]}"
      continue
    fi
    mapfile -t t0 < <(cpu_ticks)
    each "$SECONDS_MEASURED" "$OUT/v$version-$corpus" "${flags[@]}"
    mapfile -t t1 < <(cpu_ticks)
    for i in "${!pids[@]}"; do
      texts=$(texts_in "$OUT/v$version-$corpus-${names[$i]}")
      echo "v$version $corpus ${names[$i]} cpu_ms_per_text=$(echo "scale=3; (${t1[$i]}-${t0[$i]})*1000/$ticks/$texts" | bc)" \
        "texts_per_s=$(echo "scale=1; $texts/$SECONDS_MEASURED" | bc)"
    done
  done
  kill -TERM "${pids[@]}"; wait "${pids[@]}" || true
  pids=(); ports=(); names=()
}
sliced() { # version, corpus, corpus flags...: turns of one server at a time, then each one's ratios to off
  local version=$1 corpus=$2 turn i t0 t1 texts ms order; shift 2
  local -a per_turn=()
  for turn in $(seq 1 "$SLICES"); do
    order=("${!pids[@]}"); (( turn % 2 )) || mapfile -t order < <(printf '%s\n' "${!pids[@]}" | tac)
    for i in "${order[@]}"; do
      mapfile -t t0 < <(cpu_ticks)
      load "${ports[$i]}" "$SLICE_SECONDS" "$OUT/v$version-$corpus-t$turn-${names[$i]}" "$@"
      mapfile -t t1 < <(cpu_ticks)
      texts=$(texts_in "$OUT/v$version-$corpus-t$turn-${names[$i]}")
      ms=$(echo "scale=4; (${t1[$i]}-${t0[$i]})*1000/$ticks/$texts" | bc)
      echo "v$version $corpus ${names[$i]} turn=$turn cpu_ms_per_text=$ms texts_per_s=$(echo "scale=1; $texts/$SLICE_SECONDS" | bc)"
      per_turn+=("$turn $i $ms")
    done
  done
  local off
  for i in "${!pids[@]}"; do [[ ${names[$i]} == off-* ]] && off=$i; done
  for i in "${!pids[@]}"; do
    (( i != off )) || continue
    printf '%s\n' "${per_turn[@]}" | awk -v i="$i" -v off="$off" -v label="v$version $corpus ${names[$i]%-r*}/off" '
      $2 == off { base[$1] = $3 } $2 == i { mine[$1] = $3 }
      END { for (t in mine) { x = mine[t] / base[t]; for (k = ++n; k > 1 && r[k - 1] > x; k--) r[k] = r[k - 1]; r[k] = x }
            for (k = 1; k <= n; k++) line = line sprintf(" %.3f", r[k])
            printf "%s turns:%s median=%.3f\n", label, line, n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2 }'
  done
}
configs=("off --max-batch-size 1" "learned --max-batch-size 8 --batch-cost-learning")
[ "$PADDING_ONLY" = 1 ] && configs+=("padding --max-batch-size 8 --no-batch-cost-learning")
for round in $(seq 1 "$ROUNDS"); do
  # Every other round in the reverse order, so that no configuration is always started (or run) first.
  order=("${configs[@]}"); (( round % 2 )) || mapfile -t order < <(printf '%s\n' "${configs[@]}" | tac)
  for version in $VERSIONS; do
    for config in "${order[@]}"; do
      read -r name flags <<< "$config"
      # shellcheck disable=SC2086
      start "$version" "$name-r$round" $flags
      [ "$PAIRED" = 1 ] || measure "$version"
    done
    [ "$PAIRED" = 0 ] || measure "$version"
  done
done
