#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info`: installs Debian's docker.io
# when dockerd is missing and starts dockerd in the background when no engine
# runs (there is no systemd on these machines). Idempotent; a no-op (well under
# a second) when an engine already answers.
#
# What we found on these machines (Debian bookworm VM, root, no systemd, no
# container registry), with docker.io 20.10.24 from Debian:
# - Storage driver: overlay2 works (ext4 root, overlay built into the kernel).
#   daemon.json sets no storage driver: dockerd probes drivers itself
#   (overlay2, fuse-overlayfs, aufs, overlay, ..., vfs) and falls back on its
#   own; with /var/lib/docker on an overlay filesystem it chose vfs (checked),
#   which works but copies every layer, so we warn when vfs is in use.
# - iptables: Debian's default iptables-nft works with this kernel (nf_tables
#   built in); the default bridge network and its NAT rules come up.
# - cgroups: v1 hybrid, cgroupfs driver; memory, cpu and pids limits work
#   (the kernel has no blkio weight: a harmless warning).
# - PID 1 does not reap orphans: a killed dockerd stays a zombie and its pid
#   file blocks the next start; see clear_stale_pidfile in start-dockerd.sh.
# - Per-container root filesystem limits (`--storage-opt size=`, a sandbox's
#   `disk_bytes`) need a quota-capable driver: overlay2 on ext4 has none and
#   this kernel lacks XFS quotas. So an engine this script starts gets its data
#   root on a loop-mounted btrfs image with quotas on ($WM_ENGINE_FS_IMAGE at
#   $WM_ENGINE_FS_MOUNT, sparse) and the btrfs driver. WM_ENGINE_FS=default
#   keeps the engine's own data root. A running engine is never moved: its
#   data root changes only when it is started again by this script.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD_LOG="$WM_DOCKERD_LOG"
WAIT_SECONDS=60

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

DAEMON_JSON=/etc/docker/daemon.json
RUNSC_BIN="$WM_RUNSC_BIN"
RELOAD_WAIT_SECONDS=10
ENGINE_FS="${WM_ENGINE_FS:-btrfs}"
ENGINE_FS_IMAGE="${WM_ENGINE_FS_IMAGE:-/var/lib/wm-engine.img}"
ENGINE_FS_MOUNT="${WM_ENGINE_FS_MOUNT:-/var/lib/wm-engine}"
ENGINE_DATA_ROOT="$ENGINE_FS_MOUNT/docker"

# Writes $DAEMON_JSON (live-restore; gVisor as runtime runsc when installed;
# the data root $1 on btrfs when not empty) unless someone else's is there;
# prints written, unchanged or foreign.
configure_daemon() {
  bash "$(dirname "${BASH_SOURCE[0]}")/docker-daemon-json.sh" "$DAEMON_JSON" "$RUNSC_BIN" "${1:-}"
}

# Mounts the engine's btrfs filesystem and prints the data root to use, or
# nothing (WM_ENGINE_FS=default, or no btrfs here: the engine keeps its own
# root and sandboxes cannot have disk_bytes).
engine_data_root() {
  [ "$ENGINE_FS" = btrfs ] || return 0
  if WM_QUOTA_FS_IMAGE="$ENGINE_FS_IMAGE" WM_QUOTA_FS_MOUNT="$ENGINE_FS_MOUNT" \
    WM_QUOTA_FS_SIZE="${WM_ENGINE_FS_SIZE:-48G}" WM_QUOTA_FS_MODE=0711 \
    bash "$(dirname "${BASH_SOURCE[0]}")/ensure-quota-fs.sh" >&2; then
    echo "$ENGINE_DATA_ROOT"
  else
    log "docker: WARNING: no btrfs filesystem for the engine's data root: sandboxes cannot have disk_bytes"
  fi
}

# The data root a running engine uses when it is ours on btrfs, else nothing,
# so that rewriting $DAEMON_JSON never moves a running engine at its next start.
running_data_root() {
  local root
  root="$(docker info --format '{{.DockerRootDir}} {{.Driver}}' 2>/dev/null || true)"
  if [ "$root" = "$ENGINE_DATA_ROOT btrfs" ]; then
    echo "$ENGINE_DATA_ROOT"
  else
    log "docker: the engine's data root is ${root:-unknown} (not $ENGINE_DATA_ROOT on btrfs): sandboxes cannot have disk_bytes until the engine is started by this script"
  fi
}

live_restore() { timeout 10 docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null || true; }

# Makes a running engine read $DAEMON_JSON again. live-restore and runtimes
# are reloaded on SIGHUP; the experimental mode is read at start only.
reload_engine() {
  log "docker: reloading dockerd (SIGHUP) for $DAEMON_JSON"
  kill -HUP "$(pidof dockerd)"
  local deadline=$(($(date +%s) + RELOAD_WAIT_SECONDS))
  until [ "$(live_restore)" = true ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "docker: WARNING: the engine still runs without live-restore after ${RELOAD_WAIT_SECONDS}s (see $DOCKERD_LOG): an engine restart stops every sandbox"
      return 0
    fi
    sleep 0.2
  done
  log "docker: engine reloaded: live-restore on"
  if [ -x "$RUNSC_BIN" ] && [ "$(docker info --format '{{.ExperimentalBuild}}' 2>/dev/null)" != true ]; then
    log "docker: restart dockerd for process checkpoints (experimental mode is read at start only)"
  fi
}

if have docker && engine_answers; then
  log "docker: engine answers ($(docker version --format 'server {{.Server.Version}}' 2>/dev/null || echo 'version unknown'))"
  if is_root && pidof dockerd >/dev/null; then
    # Reload when the file changed, or when ours was written but never read
    # (an earlier run stopped before reloading).
    case "$(configure_daemon "$(running_data_root)")" in
      written) reload_engine ;;
      unchanged) [ "$(live_restore)" = true ] || reload_engine ;;
    esac
  elif [ "$(live_restore)" != true ]; then
    log "docker: WARNING: the engine runs without live-restore: an engine restart stops every sandbox"
  fi
  exit 0
fi

if ! is_root; then
  die "no Docker engine answers 'docker info' and this is not root. Install and start one:
  sudo apt-get install -y docker.io && sudo service docker start
(or Docker Engine from docker.com), and make sure your user can reach /var/run/docker.sock."
fi

if ! have dockerd; then
  log "docker: dockerd not found; installing Debian's docker.io"
  # docker.io's maintainer scripts would start the engine through its init script;
  # we start it ourselves below (known log file, no init system here), so keep
  # invoke-rc.d quiet during the install when nothing else has set a policy.
  apt_install_quiet docker.io iptables
fi
# docker.io ships a client too; /usr/local/bin/docker, if present, is also fine.
have docker || die "dockerd is installed but no docker client is on PATH"

if pidof dockerd >/dev/null; then
  log "docker: dockerd is running (pid $(pidof dockerd)) but does not answer yet; waiting"
else
  configure_daemon "$(engine_data_root)" >/dev/null
  bash "$(dirname "${BASH_SOURCE[0]}")/start-dockerd.sh"
fi

start=$(now)
deadline=$(($(date +%s) + WAIT_SECONDS))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if engine_answers; then
    driver="$(docker info --format '{{.Driver}}')"
    log "docker: engine answers after $(elapsed "$start") (storage driver $driver)"
    if [ "$driver" = vfs ]; then
      log "docker: WARNING: storage driver vfs (overlay2 does not work on $(stat -f -c %T /var/lib/docker 2>/dev/null || echo 'this filesystem')): containers start slower and use more disk"
    fi
    exit 0
  fi
  if ! pidof dockerd >/dev/null; then
    log "docker: dockerd exited; last lines of $DOCKERD_LOG:"
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    die "dockerd did not start"
  fi
  sleep 0.25
done
log "docker: last lines of $DOCKERD_LOG:"
tail -n 30 "$DOCKERD_LOG" >&2 || true
die "no answer from 'docker info' after ${WAIT_SECONDS}s"
