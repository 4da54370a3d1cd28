#!/usr/bin/env bash
# Builds the agent image `wm-agent:<agent version>` (also tagged
# `wm-agent:latest`) and prints its tag on stdout. The image is FROM scratch
# and holds only the static agent at /wm-agent (entrypoint): a Kubernetes
# init container runs `/wm-agent install /wm/bin/wm-agent` to hand it to the
# sandbox container, no shell needed. <agent version> is what the agent
# itself reports (`wm-agent --version`, set at build time; see
# scripts/build-agent.sh).
#
# The agent is built first (scripts/build-agent.sh). A no-op, bar that
# build, when the image exists with the same binary: its label
# wm.agent.sha256 holds the binary's sha256. Never pulls: FROM scratch needs
# no base image. Needs a Docker engine (scripts/ensure-docker.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPOSITORY=wm-agent
SHA_LABEL=wm.agent.sha256
BINARY="$WM_REPO_ROOT/agent/bin/wm-agent"

have docker || die "no docker client; run scripts/ensure-docker.sh first"
docker info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/ensure-docker.sh first"

bash "$WM_REPO_ROOT/scripts/build-agent.sh"
version="$("$BINARY" --version)"
# A Docker tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: a version that is not
# one would make a tag nobody could name.
[[ "$version" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
  die "agent version '$version' cannot be a Docker tag"
tag="$REPOSITORY:$version"
sha="$(sha256sum "$BINARY" | cut -d' ' -f1)"

built_sha() { docker image inspect --format "{{ index .Config.Labels \"$SHA_LABEL\" }}" "$1" 2>/dev/null || true; }

if [ "$(built_sha "$tag")" = "$sha" ]; then
  [ "$(built_sha "$REPOSITORY:latest")" = "$sha" ] || docker tag "$tag" "$REPOSITORY:latest"
  log "agent image: $tag present (agent sha256 ${sha:0:12})"
  echo "$tag"
  exit 0
fi

start=$(now)
previous="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$BINARY" "$context/wm-agent"
chmod 0755 "$context/wm-agent"
cat >"$context/Dockerfile" <<DOCKERFILE
FROM scratch
COPY wm-agent /wm-agent
LABEL $SHA_LABEL="$sha" wm.agent.version="$version"
ENTRYPOINT ["/wm-agent"]
DOCKERFILE
log "agent image: docker build -> $tag"
docker build --quiet --tag "$tag" --tag "$REPOSITORY:latest" "$context" >/dev/null

# The image must do what the cluster asks of it: print its version, and
# install itself into an empty directory, with nothing else in the image.
out="$(docker run --rm --network none "$tag" --version)" ||
  die "verification failed: $tag --version did not run"
[ "$out" = "$version" ] || die "verification failed: $tag reports version '$out', want '$version'"
docker run --rm --network none -v "$context:/out" "$tag" install /out/bin/wm-agent >/dev/null ||
  die "verification failed: $tag install did not run"
[ "$(sha256sum "$context/bin/wm-agent" | cut -d' ' -f1)" = "$sha" ] ||
  die "verification failed: $tag install wrote a different binary"
[ "$(stat -c %a "$context/bin/wm-agent")" = 755 ] ||
  die "verification failed: $tag install did not make the copy mode 0755"

# The image of an earlier agent binary would linger untagged; a container
# still using it keeps it (the removal then fails, harmlessly).
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect --format '{{.Id}}' "$tag")" ]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi

log "agent image: $tag (also $REPOSITORY:latest, agent sha256 ${sha:0:12}) built and verified in $(elapsed "$start")"
echo "$tag"
