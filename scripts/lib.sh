# shellcheck shell=bash
# Helpers shared by the bootstrap scripts. Source it; do not run it.

# Repository root: the parent of this file's directory.
WM_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WM_REPO_ROOT

# Where ensure-gvisor.sh installs runsc and ensure-docker.sh registers it from.
WM_RUNSC_BIN=/usr/local/bin/runsc

# Where start-dockerd.sh has the engine log (ensure-docker.sh points to it on failure).
WM_DOCKERD_LOG=/var/log/wm-dockerd.log

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }

# Seconds since the epoch with millisecond precision, and a duration since $1.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# True when every named Debian package is installed.
deb_installed() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || return 1
  done
}

# apt_install PKG... installs what is missing, non-interactively. `apt-get update`
# runs only when something is missing, and at most once an hour across all the
# scripts of one run (stamp file), since every script may need a package.
apt_install() {
  local missing=() pkg stamp="${TMPDIR:-/tmp}/wm-apt-updated"
  for pkg in "$@"; do deb_installed "$pkg" || missing+=("$pkg"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if ! is_root; then
    die "missing Debian packages: ${missing[*]}; install them as root: apt-get install -y ${missing[*]}"
  fi
  if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
    log "apt-get update"
    # A third-party source that cannot be reached makes apt-get update fail while
    # Debian's own lists were fetched fine; the install below says if it mattered.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null ||
      log "apt-get update reported errors (continuing; the install decides)"
    touch "$stamp"
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null
}

# apt_install_quiet PKG... is apt_install with the packages' services kept from
# starting at install time: Debian's maintainer scripts start a package's service
# through invoke-rc.d, and the scripts that use this want none running (they
# start, stop or disable the services themselves). A policy-rc.d that refuses
# every start (exit 101) is in place for the install only, unless one is there
# already (then that one decides). Sets and then clears the EXIT trap.
apt_install_quiet() {
  local policy=/usr/sbin/policy-rc.d added=0
  if is_root && [ ! -e "$policy" ]; then
    added=1
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt_install "$@"
  if [ "$added" = 1 ]; then
    rm -f "$policy"
    trap - EXIT
  fi
}

# safe_rm_tree DIR removes DIR after unmounting anything mounted beneath it (an
# interrupted debootstrap leaves /proc and /sys mounted in its chroot), and never
# crosses into another filesystem.
safe_rm_tree() {
  local dir="$1" mnt
  [ -e "$dir" ] || return 0
  dir="$(cd "$dir" && pwd -P)"
  # Deepest mount points first.
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || log "could not unmount $mnt"
  done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}
