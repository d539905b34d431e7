#!/usr/bin/env bash
# Writes a copy of the built model repository whose every version has its two labels swapped in
# config.json (the model files are linked, not copied) and prints its path: a canary that is as
# fast and error-free as the real one and answers wrong, which only the shadow comparison catches.
#   CANARY_FLAGS="--model-repository $(rollouts/reversed-labels-repository.sh)" SHADOW_PERCENT=25 ./run-local.sh
#   rollouts/local-rollout.sh      # in a second terminal: aborted by inference-canary-agreement
set -euo pipefail
cd "$(dirname "$0")/.."
source_repo=$PWD/inference-server/target/model-repository
target=$PWD/target/reversed-labels-repository
[[ -d $source_repo ]] || { echo "no $source_repo: build first (mvn -q -DskipTests -P'!images' package)" >&2; exit 1; }
rm -rf "$target"
(cd "$source_repo" && find . -type d) | while read -r dir; do mkdir -p "$target/$dir"; done
(cd "$source_repo" && find . -type f) | while read -r file; do
  if [[ $(basename "$file") == config.json ]]; then
    sed -E 's/"labels": *\[ *("[^"]*") *, *("[^"]*") *\]/"labels": [\2, \1]/' "$source_repo/$file" > "$target/$file"
    if cmp -s "$source_repo/$file" "$target/$file"; then
      echo "$file: no two labels to swap" >&2
      exit 1
    fi
  else
    ln -s "$source_repo/$file" "$target/$file"
  fi
done
echo "$target"
