# Sourced by the image scripts: sets $engine to podman, else a Docker whose engine answers.
if command -v podman >/dev/null; then engine=podman
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then engine=docker
else echo "neither podman nor a running Docker engine: cannot build images" >&2; exit 1
fi
