#!/usr/bin/env bash
# Builds a model image for every version folder of a model repository (mvn -Pimages package calls
# it for the default models):
#
#   images/build-model-images.sh <repository> <tag>
#
# Each is ghcr.io/inference-platform/model-<model>-<version>:<tag>, the names the Rollout's image
# volumes use (rollouts/rollout-inference-server.yaml): one image name per version, so that
# `kustomize edit set image` ships one version without touching the others.
set -euo pipefail
repository=${1:?usage: build-model-images.sh <repository> <tag>}
tag=${2:?usage: build-model-images.sh <repository> <tag>}
here=$(dirname "$0")
for folder in "$repository"/*/*/; do
  folder=${folder%/}
  [[ -f $folder/model.onnx ]] || continue
  model=$(basename "$(dirname "$folder")")
  version=$(basename "$folder")
  name=$(echo "model-$model-$version" | tr '[:upper:]_' '[:lower:]-')
  "$here/build-model-image.sh" "$folder" "ghcr.io/inference-platform/$name:$tag"
done
