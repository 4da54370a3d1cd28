#!/usr/bin/env bash
# Installs PostgreSQL (Debian 12: 15), the store several servers share
# (WM_DATABASE_URL). The tests start throwaway clusters of their own
# (packages/server/test/helpers/postgres.ts) with initdb and pg_ctl, so only
# the binaries are needed. Idempotent; a no-op when initdb is there.
#
# Debian's package creates a `main` cluster and starts it as the
# `postgresql` service on port 5432; nothing here uses it, so it is kept
# from starting at install time (a policy-rc.d) and from starting at boot.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

find_initdb() {
  local candidate
  if have initdb; then
    command -v initdb
    return 0
  fi
  for candidate in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$candidate" ] && echo "$candidate" && return 0
  done
  return 1
}

# The Debian cluster's service is not started at boot (a running one is left alone: nothing
# here needs it stopped).
boot_off() {
  if [ -d /run/systemd/system ]; then
    if systemctl is-enabled --quiet postgresql 2>/dev/null; then
      log "postgres: disabling the postgresql system service at boot"
      systemctl disable postgresql >/dev/null 2>&1 || true
    fi
  elif compgen -G '/etc/rc[2-5].d/S*postgresql' >/dev/null && have update-rc.d; then
    log "postgres: disabling the postgresql init script at boot"
    update-rc.d postgresql disable >/dev/null 2>&1 || true
  fi
}

if initdb_path=$(find_initdb); then
  is_root && boot_off
  log "postgres: $("$initdb_path" --version)"
  exit 0
fi

apt_install_quiet postgresql
boot_off
initdb_path=$(find_initdb) || die "postgresql installed but initdb not found"
log "postgres: installed $("$initdb_path" --version)"
