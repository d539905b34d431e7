#!/usr/bin/env bash
# Builds ghcr.io/inference-platform/model-copier:<tag> (images/model-copier) into the local podman
# or Docker store, from Debian's busybox-static:
#
#   images/build-model-copier.sh <tag>
set -euo pipefail
tag=${1:?usage: build-model-copier.sh <tag>}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/container-engine.sh"
busybox=${BUSYBOX:-/bin/busybox}
# A model image has no C library for a dynamic binary to load.
if [[ ! -x $busybox ]] || ldd "$busybox" >/dev/null 2>&1; then
  echo "$busybox is not a static BusyBox: install Debian's busybox-static (or set BUSYBOX)" >&2
  exit 1
fi
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$busybox" "$context/busybox"
cp "$here/model-copier/copy-model.sh" "$here/model-copier/Containerfile" "$context/"
image=ghcr.io/inference-platform/model-copier:$tag
"$engine" build -q --build-arg VERSION="$tag" -f "$context/Containerfile" -t "$image" "$context" >/dev/null
echo "built $image"
