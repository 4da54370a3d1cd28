#!/usr/bin/env bash
# Installs gVisor's runsc at /usr/local/bin/runsc, for WM_RUNTIME=runsc and
# process checkpoints. Built from source through the Go module proxy (the
# only place a current runsc is reachable from here; nothing is pulled from
# a container registry), at a pinned version. Idempotent: a no-op when that
# version is installed.
#
# Why not Debian's runsc package: bookworm's runsc (0.0~20221219) cannot
# run a sandbox with a network in Docker here ("cannot run with network
# enabled in root network namespace"), and a sandbox it restores from a
# checkpoint gets EINVAL from stat() on every directory. The pinned version
# does both (checked: checkpoint, restore into a new container, `ls /`).
#
# gVisor is optional (sandboxes run under runc by default): when it cannot
# be installed this says why and exits 0.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNSC_VERSION="${WM_RUNSC_VERSION:-v0.0.0-20260905035102-160fafc42237}"
RUNSC_BIN="$WM_RUNSC_BIN"
STAMP=/usr/local/lib/workspace-manager/runsc.version

if [ "${WM_SKIP_GVISOR:-}" = 1 ]; then
  log "gvisor: WM_SKIP_GVISOR=1: not installing runsc"
  exit 0
fi
if [ -x "$RUNSC_BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$RUNSC_VERSION" ]; then
  log "gvisor: runsc $RUNSC_VERSION is installed"
  exit 0
fi
if ! is_root; then
  log "gvisor: not root; skipping runsc (WM_RUNTIME=runsc and process checkpoints need it)"
  exit 0
fi
if ! have go; then
  log "gvisor: go is missing; skipping runsc"
  exit 0
fi

start=$(now)
work="$(mktemp -d /tmp/wm-runsc.XXXXXX)"
trap 'rm -rf "$work"' EXIT
log "gvisor: building runsc $RUNSC_VERSION from the Go module proxy"
if ! (cd "$work" && GOBIN="$work" CGO_ENABLED=0 GOFLAGS=-mod=mod \
  go install "gvisor.dev/gvisor/runsc@$RUNSC_VERSION") >"$work/build.log" 2>&1; then
  tail -n 20 "$work/build.log" >&2
  log "gvisor: WARNING: runsc could not be built; WM_RUNTIME=runsc is unavailable"
  exit 0
fi
"$work/runsc" --help >/dev/null 2>&1 || {
  log "gvisor: WARNING: the built runsc does not run; not installing it"
  exit 0
}
# Replaced by rename: an engine may be running the old binary right now.
install -m 0755 "$work/runsc" "$RUNSC_BIN.new"
mv -f "$RUNSC_BIN.new" "$RUNSC_BIN"
mkdir -p "$(dirname "$STAMP")"
printf '%s\n' "$RUNSC_VERSION" >"$STAMP"
log "gvisor: installed $RUNSC_BIN in $(elapsed "$start")"
