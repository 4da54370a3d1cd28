#!/usr/bin/env bash
# Installs HAProxy (Debian 12: 2.6), the load balancer of deploy/haproxy.cfg,
# which the replica suite (scripts/run-replicas.sh) runs in the foreground in
# front of two servers. Idempotent; a no-op (well under a second) when it is
# installed and its system service is off.
#
# Debian's package enables an `haproxy` service on /etc/haproxy/haproxy.cfg;
# nothing here uses it, and it would hold port 80 on a machine where someone
# adds a front end there, so it is kept from starting at install time (a
# policy-rc.d) and then stopped and disabled.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_off() {
  if [ -d /run/systemd/system ]; then
    if systemctl is-enabled --quiet haproxy 2>/dev/null || systemctl is-active --quiet haproxy 2>/dev/null; then
      log "haproxy: disabling the haproxy system service"
      systemctl disable --now haproxy
    fi
    return 0
  fi
  # No systemd (a container): the SysV script and its rc links.
  if [ -f /run/haproxy.pid ] && kill -0 "$(cat /run/haproxy.pid)" 2>/dev/null; then
    log "haproxy: stopping the haproxy system service"
    /etc/init.d/haproxy stop || kill "$(cat /run/haproxy.pid)" || true
  fi
  if compgen -G '/etc/rc[2-5].d/S*haproxy' >/dev/null && have update-rc.d; then
    log "haproxy: disabling the haproxy init script"
    update-rc.d haproxy disable >/dev/null 2>&1 || true
  fi
}

if deb_installed haproxy; then
  is_root && service_off
  log "haproxy: $(haproxy -v | head -n 1)"
  exit 0
fi

apt_install_quiet haproxy
service_off
have haproxy || die "haproxy installed but not on PATH"
log "haproxy: installed $(haproxy -v | head -n 1)"
