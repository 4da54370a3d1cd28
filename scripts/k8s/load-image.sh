#!/usr/bin/env bash
# Usage: scripts/k8s/load-image.sh IMAGE...
#
# Loads Docker images into the test cluster's containerd (there is no registry
# to pull from): `docker save IMAGE | ctr -n k8s.io images import -`. Pods use
# them by the same name (workspace-test:latest is docker.io/library/... to
# both). Skips an image whose Docker image id was loaded already and which the
# cluster still has, so a warm up.sh costs nothing here. Fails on an image
# Docker does not have. Needs the cluster up (its containerd answering).
set -euo pipefail
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" -gt 0 ] || k8s_die "usage: load-image.sh IMAGE..."
k8s_ctr version >/dev/null 2>&1 || k8s_die "the cluster's containerd does not answer at $K8S_CTR_SOCK (scripts/k8s/up.sh)"
# Which Docker image id each name was loaded from; gone with `down.sh --purge`.
stamps="$WM_K8S_DIR/containerd/loaded"
mkdir -p "$stamps"

# The fully qualified reference containerd stores (Docker's normalisation).
normalize() {
  local ref="$1" first="${1%%/*}"
  if [ "$first" = "$ref" ]; then
    ref="docker.io/library/$ref"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then
    ref="docker.io/$ref"
  fi
  [[ "${ref##*/}" == *:* || "$ref" == *@* ]] || ref="$ref:latest"
  echo "$ref"
}

for image in "$@"; do
  id="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null)" || k8s_die "Docker has no image $image"
  ref="$(normalize "$image")"
  stamp="$stamps/$(printf '%s' "$ref" | tr '/:@' '___')"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$id" ] && [ -n "$(k8s_ctr images ls -q "name==$ref")" ]; then
    k8s_log "image $image: loaded already"
    continue
  fi
  t=$(k8s_now)
  docker save "$image" | k8s_ctr images import - >/dev/null
  [ -n "$(k8s_ctr images ls -q "name==$ref")" ] || k8s_die "image $image: imported, but the cluster has no $ref"
  echo "$id" >"$stamp"
  k8s_log "image $image: loaded as $ref ($(k8s_elapsed "$t"))"
done
