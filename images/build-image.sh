#!/usr/bin/env bash
# Builds one module's image into the local podman or Docker store, from the jars Maven built:
#
#   images/build-image.sh <module> <version> [revision]      (mvn -Pimages package calls it)
#
# The base is the public default of the module's Dockerfile (RUNTIME_IMAGE) when the engine can
# pull it, else the base made from Debian's packages (local-base.sh). RUNTIME_IMAGE in the
# environment chooses one outright.
set -euo pipefail
cd "$(dirname "$0")/.."
module=$1
version=$2
revision=${3:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
. images/container-engine.sh
public=$(sed -n 's/^ARG RUNTIME_IMAGE=//p' "$module/Dockerfile")
base=${RUNTIME_IMAGE:-}
if [[ -z "$base" ]]; then
  if "$engine" image inspect "$public" >/dev/null 2>&1 || timeout 60 "$engine" pull -q "$public" >/dev/null 2>&1; then
    base=$public
  else
    echo "cannot pull $public; using a base made from Debian's packages" >&2
    base=$(images/local-base.sh "$engine")
  fi
fi
image=ghcr.io/inference-platform/$module:$version
"$engine" build -q -f "$module/Dockerfile" --build-arg RUNTIME_IMAGE="$base" \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" -t "$image" "$module/target" >/dev/null
echo "built $image on $base with $engine"
