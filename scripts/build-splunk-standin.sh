#!/usr/bin/env bash
# Builds the template of the `splunk` application kind, `wm-splunk-standin:latest`, offline:
# `docker build` of scripts/splunk-standin/ FROM the test template, adding a small
# standard-library Python service on port 8089 that speaks the part of Splunk's REST API the
# Splunk helper uses. It is NOT Splunk: no Splunk image can be pulled here (README, "Splunk").
# Idempotent: rebuilt only when the build directory changed (its hash is an image label).
# Needs a Docker engine and workspace-test:latest (scripts/build-test-template.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE=wm-splunk-standin:latest
BASE=workspace-test:latest
CONTEXT="$WM_REPO_ROOT/scripts/splunk-standin"
HASH_LABEL=wm.standin.sha256

have docker || die "no docker client; run scripts/ensure-docker.sh first"
docker info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/ensure-docker.sh first"
docker image inspect "$BASE" >/dev/null 2>&1 ||
  die "$BASE is missing; build it first with scripts/build-test-template.sh"

# The hash covers the build directory and the base image, so either changing rebuilds.
hash="$(
  {
    (cd "$CONTEXT" && sha256sum Dockerfile standin.py)
    docker image inspect --format '{{.Id}}' "$BASE"
  } | sha256sum | cut -d' ' -f1
)"
current="$(docker image inspect --format "{{index .Config.Labels \"$HASH_LABEL\"}}" "$IMAGE" 2>/dev/null || true)"
if [ "$current" = "$hash" ]; then
  log "splunk stand-in: $IMAGE present and up to date"
  exit 0
fi

start=$(now)
log "splunk stand-in: docker build -> $IMAGE (FROM $BASE, nothing pulled)"
# The classic builder uses the local base image as it is; BuildKit is not installed here.
# (It warns that it is deprecated: its output is shown only when the build fails.)
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! DOCKER_BUILDKIT=0 docker build --pull=false --label "$HASH_LABEL=$hash" \
  --tag "$IMAGE" "$CONTEXT" >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  die "docker build of $IMAGE failed"
fi

out="$(docker run --rm --network none "$IMAGE" python3 /opt/splunk-standin/standin.py --self-test 2>/dev/null)" ||
  die "verification failed: the stand-in's self-test did not pass in $IMAGE"
[ "$out" = "splunk stand-in self-test passed" ] || die "verification failed: unexpected '$out'"
log "splunk stand-in: $IMAGE built and verified in $(elapsed "$start")"
