#!/usr/bin/env bash
# Builds the sandbox test template `workspace-test:latest` offline — no registry:
# debootstrap a minimal Debian bookworm from Debian's own mirror and
# `docker import` it. Also tags it `workspace-base:bookworm` for later templates.
# Idempotent; a no-op when the image exists. Needs a Docker engine
# (scripts/ensure-docker.sh) and, to install debootstrap, root.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE=workspace-test:latest
BASE_TAG=workspace-base:bookworm
SUITE=bookworm
MIRROR=${WM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
INCLUDE=bash,python3,ca-certificates,procps
CACHE_DIR="$WM_REPO_ROOT/.cache/template" # .cache/ is gitignored

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

if image_exists "$IMAGE"; then
  image_exists "$BASE_TAG" || docker tag "$IMAGE" "$BASE_TAG"
  log "template: $IMAGE present"
  exit 0
fi

have docker || die "no docker client; run scripts/ensure-docker.sh first"
docker info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/ensure-docker.sh first"
apt_install debootstrap
is_root || die "debootstrap needs root to build the template rootfs"

start=$(now)
mkdir -p "$CACHE_DIR"
# Leftovers of an interrupted build (possibly with /proc still mounted inside).
for stale in "$CACHE_DIR"/rootfs.*; do
  [ -e "$stale" ] || continue
  log "template: removing stale $stale"
  safe_rm_tree "$stale"
done
work="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
trap 'safe_rm_tree "$work"' EXIT
rootfs="$work/rootfs"

log "template: debootstrap $SUITE (minbase + $INCLUDE) from $MIRROR"
if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
  tail -n 40 "$work/debootstrap.log" >&2
  [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 40 "$rootfs/debootstrap/debootstrap.log" >&2
  die "debootstrap failed"
fi
log "template: debootstrap done in $(elapsed "$start")"

# Keep the image small: downloaded .debs and package lists are not needed to run.
rm -rf "${rootfs:?}"/var/cache/apt/archives/*.deb "${rootfs:?}"/var/lib/apt/lists/* \
  "${rootfs:?}"/var/log/*.log "${rootfs:?}"/usr/share/doc/* "${rootfs:?}"/usr/share/man/*
# Containers get their own hostname and resolv.conf from the engine.
: >"$rootfs/etc/hostname"
: >"$rootfs/etc/resolv.conf"

log "template: docker import -> $IMAGE"
tar --numeric-owner -C "$rootfs" -c . |
  docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --message "Debian $SUITE minbase + $INCLUDE, built by scripts/build-test-template.sh" \
    - "$IMAGE" >/dev/null
docker tag "$IMAGE" "$BASE_TAG"

out="$(docker run --rm --network none "$IMAGE" python3 -c 'print(1)')" ||
  die "verification failed: cannot run python3 in $IMAGE"
[ "$out" = 1 ] || die "verification failed: expected '1' from python3 in $IMAGE, got '$out'"
size="$(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
log "template: $IMAGE ($size, also $BASE_TAG) built and verified in $(elapsed "$start")"
