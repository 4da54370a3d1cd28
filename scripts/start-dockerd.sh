#!/usr/bin/env bash
# Usage: start-dockerd.sh
#
# Starts dockerd in the background the way this project runs the engine
# (there is no systemd on these machines): detached from the caller's
# session, logging to $WM_DOCKERD_LOG. Does not wait for it to answer.
# ensure-docker.sh starts the engine with it, and the engine-restart test
# (packages/server/test/engine-restart.test.ts) starts it again with it, so
# both bring the engine up alike. A no-op when dockerd already runs. Root only.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_root || die "starting dockerd needs root"

# True when PID is a live (not zombie) process named NAME.
alive() {
  local pid="$1" name="$2" state
  [ -r "/proc/$pid/status" ] || return 1
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status")"
  [ "$state" != Z ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# Quirk seen here: PID 1 of these machines does not reap orphans, so a dockerd
# (or its containerd) that was killed stays a zombie. dockerd takes a pid file
# whose process "exists" for a live engine and refuses to start ("pid file
# found, ensure docker is not running"), so drop pid files of dead engines.
clear_stale_pidfile() {
  local file="$1" name="$2" pid
  [ -f "$file" ] || return 0
  pid="$(tr -dc '0-9' <"$file")"
  if [ -z "$pid" ] || ! alive "$pid" "$name"; then
    log "docker: removing stale $file (pid ${pid:-none} is not a live $name)"
    rm -f "$file"
  fi
}

# pidof leaves zombies out: a dead engine's leftover does not count.
if pidof dockerd >/dev/null; then
  log "docker: dockerd already runs (pid $(pidof dockerd))"
  exit 0
fi
clear_stale_pidfile /var/run/docker.pid dockerd
clear_stale_pidfile /var/run/docker/containerd/containerd.pid containerd
log "docker: starting dockerd (log: $WM_DOCKERD_LOG)"
# setsid: the engine outlives the caller's process group (a test run's
# cleanup, a Ctrl-C) like a service would.
setsid nohup dockerd >>"$WM_DOCKERD_LOG" 2>&1 </dev/null &
