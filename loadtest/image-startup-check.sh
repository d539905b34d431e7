#!/usr/bin/env bash
# Does the server image's class archive still pay now that the models are image volumes? Starts the
# image as the pod does (read-only root, every default model image mounted at its version folder)
# with the archive (the entrypoint's -XX:SharedArchiveFile) and without it (-Xshare:off), ROUNDS
# rounds interleaved, and prints the time from `podman run` to the first 200 of /healthz and the
# server's own "SERVING ... after start". Run after `mvn -Pimages -DskipTests package`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-4}
tag=${TAG:-$(mvn -q -o help:evaluate -Dexpression=project.version -DforceStdout 2>/dev/null || echo 0.1.0)}
podman=(podman)
# On the development machines: Debian's runc, and the host's open-files limit (see ContainerImagesTest).
[[ -x /usr/sbin/runc ]] && podman+=(--runtime /usr/sbin/runc)
limits=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=32768:32768)
mounts=()
for volume in $(sed -n 's|^ *reference: ghcr.io/inference-platform/model-||p' rollouts/rollout-inference-server.yaml); do
  path=$(grep -A1 "name: model-$volume\$" rollouts/rollout-inference-server.yaml | sed -n 's/^ *mountPath: //p' | head -1)
  mounts+=(--mount "type=image,source=ghcr.io/inference-platform/model-$volume:$tag,destination=$path")
done
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
run() { # name, JAVA_TOOL_OPTIONS
  local name=$1 options=$2 management start id
  management=$(port)
  start=$(date +%s%N)
  id=$("${podman[@]}" run -d --rm --network host --read-only --tmpfs /tmp:rw,size=256m --user 10001:10001 \
    --cap-drop ALL "${limits[@]}" "${mounts[@]}" -e JAVA_TOOL_OPTIONS="$options" -e INFERENCE_HOST=127.0.0.1 \
    -e INFERENCE_PORT="$(port)" -e INFERENCE_MANAGEMENT_PORT="$management" \
    "ghcr.io/inference-platform/inference-server:$tag")
  until curl -sf -o /dev/null "http://127.0.0.1:$management/healthz"; do sleep 0.02; done
  echo "$name healthy_after_ms=$(( ($(date +%s%N) - start) / 1000000 ))" \
    "$("${podman[@]}" logs "$id" 2>&1 | grep -o 'SERVING [0-9]* ms after start')"
  "${podman[@]}" stop -t 30 "$id" >/dev/null
}
for round in $(seq 1 "$ROUNDS"); do
  run "archive-r$round" ""
  run "no-archive-r$round" "-Xshare:off"
done
