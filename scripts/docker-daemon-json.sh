#!/usr/bin/env bash
# Usage: docker-daemon-json.sh FILE RUNSC_BIN
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
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" = 2 ] || die "usage: docker-daemon-json.sh FILE RUNSC_BIN"
file="$1"
runsc="$2"

# The file's content this script writes, with or without runsc.
wanted_with_runsc() {
  printf '{\n  "live-restore": true,\n  "experimental": true,\n  "runtimes": {\n    "runsc": {\n      "path": "%s",\n      "runtimeArgs": ["--host-uds=create", "--overlay2=none"]\n    }\n  }\n}\n' "$runsc"
}
WANTED_PLAIN="$(printf '{\n  "live-restore": true\n}\n')"

# True when FILE is absent or one this script (or its earlier runsc-only
# version, which named RUNSC_BIN) wrote.
ours() {
  [ -e "$file" ] || return 0
  grep -qF "\"$runsc\"" "$file" && return 0
  [ "$(cat "$file")" = "$WANTED_PLAIN" ]
}

if ! ours; then
  grep -q '"runsc"' "$file" ||
    log "docker: $file is not ours and registers no runsc: WM_RUNTIME=runsc is unavailable"
  grep -Eq '"live-restore"[[:space:]]*:[[:space:]]*true' "$file" ||
    log "docker: $file is not ours and does not set \"live-restore\": true: an engine restart stops every sandbox"
  echo foreign
  exit 0
fi

if [ -x "$runsc" ]; then wanted="$(wanted_with_runsc)"; else wanted="$WANTED_PLAIN"; fi
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
