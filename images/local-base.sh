#!/usr/bin/env bash
# Makes the runtime base image from Debian's own packages, for machines that reach Debian's archive
# but no public container registry: debootstrap of a pinned suite with the JRE, imported as an
# image. Cached: an existing image of that name is reused.
#
#   images/local-base.sh [engine]      prints the image name it made or found
set -euo pipefail
engine=${1:-podman}
suite=bookworm                                 # Debian 12: glibc 2.36 (the tokenizer needs >= 2.34)
name=localhost/inference-platform/jre17-debian-$suite:1
if "$engine" image exists "$name" 2>/dev/null || "$engine" image inspect "$name" >/dev/null 2>&1; then
  echo "$name"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (Debian package debootstrap)" >&2; exit 1; }
root=$(mktemp -d /var/tmp/jre17-$suite.XXXXXX)
trap 'rm -rf "$root"' EXIT
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
debootstrap --variant=minbase --include=openjdk-17-jre-headless "$suite" "$root" "${mirror:-http://deb.debian.org/debian}" >&2
# What a runtime image does not need: package caches and lists, documentation.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
tar -C "$root" -c . | "$engine" import --change 'ENV LANG=C.UTF-8' - "$name" >&2
echo "$name"
