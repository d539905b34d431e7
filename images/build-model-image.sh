#!/usr/bin/env bash
# Builds one model version as an OCI image, into the local podman or Docker store:
#
#   images/build-model-image.sh <version-folder> <image>
#   images/build-model-image.sh model-repository/sentiment/3 registry.example.com/models/sentiment-3:2026-12-04
#
# The image is FROM scratch and holds only the folder's files at its root, where the Rollout's image
# volume mounts them as <repository>/<model>/<version>/ (docs/delivery.md). Beside them it writes
# model-files.sha256, every file's SHA-256 in sha256sum's format, and the same list goes into the
# image's labels: the server refuses a folder whose files no longer match it, so an image changed
# after it was built does not serve. The model's name and version are the folder's and its parent's names.
set -euo pipefail
folder=${1:?usage: build-model-image.sh <version-folder> <image>}
image=${2:?usage: build-model-image.sh <version-folder> <image>}
folder=$(cd "$folder" && pwd -P)
version=$(basename "$folder")
model=$(basename "$(dirname "$folder")")
[[ -f $folder/model.onnx ]] || { echo "$folder has no model.onnx: not a model version folder" >&2; exit 1; }
. "$(dirname "$0")/container-engine.sh"

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir "$context/files"
# -L: a folder assembled from links (Maven's model-repository) ships the files themselves.
cp -RL "$folder/." "$context/files/"
rm -f "$context/files/model-files.sha256"
(cd "$context/files" && find . -type f -printf '%P\n' | LC_ALL=C sort | while IFS= read -r file; do
  sha256sum -- "$file"
done) > "$context/model-files.sha256"
mv "$context/model-files.sha256" "$context/files/model-files.sha256"
# One label line per file, "<sha256>  <path>" as in the file: what a registry's tooling can check
# without pulling the layers.
files_label=$(sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/; /g' "$context/files/model-files.sha256")
cat > "$context/Containerfile" <<CONTAINERFILE
FROM scratch
COPY files/ /
LABEL org.opencontainers.image.title="$model" \\
      org.opencontainers.image.version="$version" \\
      org.opencontainers.image.description="Model $model, version $version, for the inference platform's model repository" \\
      org.opencontainers.image.source="https://github.com/inference-platform/inference-platform" \\
      dev.inference.model.name="$model" \\
      dev.inference.model.version="$version" \\
      dev.inference.model.files="$files_label"
CONTAINERFILE
"$engine" build -q -f "$context/Containerfile" -t "$image" "$context" >/dev/null
echo "built $image: $model version $version, $(wc -l < "$context/files/model-files.sha256") files"
