#!/usr/bin/env bash
# Usage: scripts/k8s/build.sh
#
# Builds the Kubernetes binaries of the test cluster (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kubectl) from the Go module
# proxy, plus a static pause binary and its OCI image archive, into
# $WM_K8S_DIR/bin-$WM_K8S_VERSION. A no-op (about a second) when every binary is
# there and reports the wanted version.
#
# Why from source: only package registries are reachable here (no release
# downloads, no image registry), and Debian 12 ships no Kubernetes. The Go proxy
# serves k8s.io/kubernetes itself, but its go.mod points the 31 staging modules
# (k8s.io/api, k8s.io/client-go, ...) at ./staging directories that are not in
# the module zip, so a small builder module requires k8s.io/kubernetes and
# replaces each staging module with its published v0.X.Y twin.
#
# Cold: about 5 minutes on 2 cores, up to ~2 GB RAM per link step and ~3 GB of
# Go build cache. The binaries live OUTSIDE any clone so CI runs reuse them.
set -euo pipefail
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
# Every module that k8s.io/kubernetes's go.mod replaces with ./staging/src/k8s.io/<m>.
STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base component-helpers
  controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation
  endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy
  kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission
  sample-apiserver sample-cli-plugin sample-controller)

# True when $1 in the bin dir reports exactly the wanted version.
version_ok() {
  local out
  case "$1" in
    kubectl) out="$("$K8S_BIN/kubectl" version --client 2>/dev/null)" || return 1 ;;
    *) out="$("$K8S_BIN/$1" --version 2>/dev/null)" || return 1 ;;
  esac
  grep -qw -- "v$K8S_VERSION" <<<"$out"
}

all_built() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [ -x "$K8S_BIN/$c" ] && version_ok "$c" || return 1
  done
  [ -x "$K8S_BIN/pause" ] && [ -s "$K8S_BIN/pause.tar" ]
}

if all_built; then
  k8s_log "build: v$K8S_VERSION binaries present in $K8S_BIN"
  exit 0
fi

have go || [ -x /usr/local/go/bin/go ] || k8s_die "go is needed (expected at /usr/local/go/bin)"
export PATH="$PATH:/usr/local/go/bin"
have gcc || k8s_die "gcc (and libc6-dev) is needed for the static pause binary"
have python3 || k8s_die "python3 is needed to pack the pause image"

mkdir -p "$WM_K8S_DIR" "$K8S_BIN"
# Two builds at once (a CI run and a person) would fight over the same outputs;
# the second waits for the first and then finds everything built.
exec 9>"$WM_K8S_DIR/build.lock"
if ! flock -w 1800 9; then k8s_die "build: another build holds $WM_K8S_DIR/build.lock for 30 min"; fi
if all_built; then
  k8s_log "build: v$K8S_VERSION binaries present (built by a concurrent run)"
  exit 0
fi

t_all=$(k8s_now)
minor="${K8S_VERSION#*.}"
minor="${minor%%.*}"
staging_version="v0.${K8S_VERSION#*.}"
build_dir="$WM_K8S_DIR/build"
mkdir -p "$build_dir"
cd "$build_dir"

# The builder module (regenerated every time; go mod tidy fills go.sum).
{
  printf 'module wm-k8s/build\n\ngo 1.25.0\n\ngodebug default=go1.25\n\n'
  printf 'require k8s.io/kubernetes v%s\n\nreplace (\n' "$K8S_VERSION"
  for m in "${STAGING[@]}"; do printf '\tk8s.io/%s => k8s.io/%s %s\n' "$m" "$m" "$staging_version"; done
  printf ')\n'
} >go.mod
# tools.go imports the commands' packages so that tidy records all their deps.
cat >tools.go <<'EOF'
//go:build tools

package build

import (
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubelet/app"
)
EOF
t=$(k8s_now)
k8s_log "build: go mod tidy (downloads about 900 MB of modules when the cache is empty)"
go mod tidy
k8s_log "build: modules ready ($(k8s_elapsed "$t"))"

# Without these the binaries report v0.0.0, and kubelet/apiserver version
# checks (and `kubectl version`) mislead.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

for c in "${COMPONENTS[@]}"; do
  if [ -x "$K8S_BIN/$c" ] && version_ok "$c"; then continue; fi
  t=$(k8s_now)
  # Build to a temporary name: an interrupted build never leaves a binary
  # that looks complete.
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$K8S_BIN/.$c.tmp" "k8s.io/kubernetes/cmd/$c"
  mv -f "$K8S_BIN/.$c.tmp" "$K8S_BIN/$c"
  k8s_log "build: $c ($(k8s_elapsed "$t"))"
  version_ok "$c" || k8s_die "build: $c does not report v$K8S_VERSION"
done

# pause: the pod sandbox's init process. Built statically from the module's own
# source (no registry to pull registry.k8s.io/pause from).
kdir="$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)"
[ -f "$kdir/build/pause/linux/pause.c" ] || k8s_die "build: no build/pause/linux/pause.c in $kdir"
gcc -static -Os -DVERSION="$K8S_PAUSE_VERSION-wm" -o "$K8S_BIN/.pause.tmp" "$kdir/build/pause/linux/pause.c"
strip "$K8S_BIN/.pause.tmp"
mv -f "$K8S_BIN/.pause.tmp" "$K8S_BIN/pause"
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
cp "$K8S_BIN/pause" "$rootfs/pause"
python3 "$K8S_SCRIPTS/mkimage.py" "$rootfs" "$K8S_PAUSE_IMAGE" "$K8S_BIN/.pause.tar.tmp" /pause
mv -f "$K8S_BIN/.pause.tar.tmp" "$K8S_BIN/pause.tar"
k8s_log "build: pause image $K8S_PAUSE_IMAGE"

k8s_log "build: v$K8S_VERSION built in $(k8s_elapsed "$t_all") into $K8S_BIN"
