# Run by BusyBox's sh inside a model image (rollouts/model-copy): copies the files the image's
# model-files.sha256 lists, and the list, from the image's root into the volume at $1. Nothing else
# of the container's root goes along (the runtime's own /etc/hosts, /proc, the mounts). The server
# checks every file against the list again before it loads the version.
set -eu
bb=$(dirname "$0")/busybox
target=${1:?usage: copy-model.sh <target folder>}
cd /
if [ ! -f model-files.sha256 ]; then
  echo "the image has no /model-files.sha256: not a model image (images/build-model-image.sh)" >&2
  exit 1
fi
while read -r digest file; do
  $bb mkdir -p "$target/$($bb dirname "$file")"
  $bb cp "$file" "$target/$file"
done < model-files.sha256
$bb cp model-files.sha256 "$target/model-files.sha256"
echo "copied $($bb wc -l < model-files.sha256) model files into $target"
