#!/usr/bin/env bash
# Usage: docker-daemon-json.sh FILE RUNSC_BIN DATA_ROOT
#
# Writes the Docker engine configuration Workspace Manager wants into FILE
# (ensure-docker.sh passes /etc/docker/daemon.json), but only when there is no
# FILE or when FILE is one this script wrote; an engine configured by someone
# else is left alone, with a warning for what it lacks. Prints one word:
# `written`, `unchanged` or `foreign`.
#
# What it configures:
# - "live-restore": an engine restart (an upgrade, a crash) leaves containers,
#   so sandboxes and their processes, running; dockerd reloads it on SIGHUP.
# - When RUNSC_BIN is installed, gVisor as the runtime "runsc", with the
#   experimental mode `docker checkpoint` needs (read at engine start only).
#   --host-uds=create lets the agent's socket reach the server;
#   --overlay2=none keeps the root filesystem's writes on disk, where
#   `docker commit` (checkpoint images) and the memory limit expect them.
# - When DATA_ROOT is not empty, the engine's data root there with the btrfs
#   storage driver: DATA_ROOT sits on a btrfs filesystem with quotas on
#   (ensure-docker.sh prepares it), where `--storage-opt size=` limits each
#   container's root filesystem (the sandbox's `disk_bytes`). overlay2 on
#   ext4 cannot limit it, and XFS project quotas need kernel quota support
#   that not every kernel has (see ensure-quota-fs.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" = 3 ] || die "usage: docker-daemon-json.sh FILE RUNSC_BIN DATA_ROOT"
file="$1"
runsc="$2"
data_root="$3"

# The data-root lines of the file, when DATA_ROOT is set.
storage_lines() {
  [ -n "$data_root" ] || return 0
  printf '  "data-root": "%s",\n  "storage-driver": "btrfs",\n' "$data_root"
}
# Command substitution drops trailing newlines; the x keeps them.
STORAGE_LINES="$(storage_lines; echo x)"
STORAGE_LINES="${STORAGE_LINES%x}"
# The file's content this script writes, with or without runsc.
wanted_with_runsc() {
  printf '{\n%s  "live-restore": true,\n  "experimental": true,\n  "runtimes": {\n    "runsc": {\n      "path": "%s",\n      "runtimeArgs": ["--host-uds=create", "--overlay2=none"]\n    }\n  }\n}\n' "$STORAGE_LINES" "$runsc"
}
wanted_plain() { printf '{\n%s  "live-restore": true\n}\n' "$STORAGE_LINES"; }
# The plain file without a data root.
LEGACY_PLAIN="$(printf '{\n  "live-restore": true\n}\n')"

# True when FILE is absent or one this script (or its earlier runsc-only
# version, which named RUNSC_BIN) wrote.
ours() {
  [ -e "$file" ] || return 0
  grep -qF "\"$runsc\"" "$file" && return 0
  # Our plain file, with or without the data-root lines of any data root.
  [ "$(grep -v -e '^  "data-root": ' -e '^  "storage-driver": "btrfs",$' "$file")" = "$LEGACY_PLAIN" ]
}

if ! ours; then
  grep -q '"runsc"' "$file" ||
    log "docker: $file is not ours and registers no runsc: WM_RUNTIME=runsc is unavailable"
  grep -Eq '"live-restore"[[:space:]]*:[[:space:]]*true' "$file" ||
    log "docker: $file is not ours and does not set \"live-restore\": true: an engine restart stops every sandbox"
  echo foreign
  exit 0
fi

if [ -x "$runsc" ]; then wanted="$(wanted_with_runsc)"; else wanted="$(wanted_plain)"; fi
if [ "$(cat "$file" 2>/dev/null)" = "$wanted" ]; then
  echo unchanged
  exit 0
fi
mkdir -p "$(dirname "$file")"
printf '%s\n' "$wanted" >"$file.tmp" && mv -f "$file.tmp" "$file"
if [ -x "$runsc" ]; then
  log "docker: wrote $file: live-restore, gVisor as runtime runsc"
else
  log "docker: wrote $file: live-restore"
fi
echo written
