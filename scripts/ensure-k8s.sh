#!/usr/bin/env bash
# Installs what the single-node Kubernetes test cluster (scripts/k8s/up.sh)
# needs and builds its binaries (scripts/k8s/build.sh, cached in
# $WM_K8S_DIR/bin-<version>, default /var/lib/wm-k8s). Idempotent; a no-op of
# about a second when everything is there.
#
# Debian packages: etcd-server (the cluster's store), containerd + runc (a
# SEPARATE containerd instance with its own config, socket, root and state under
# $WM_K8S_DIR; Docker's engine keeps its own), containernetworking-plugins (the
# pod bridge), socat (the host's 127.0.0.1:6443 forwarder), conntrack (kubelet
# expects it), gcc + libc6-dev (the static pause binary).
#
# Their system services stay off: Debian's etcd would listen on 2379 with a
# store under /var/lib/etcd that nothing here uses. Debian's containerd ships
# only a systemd unit, which on a systemd machine may be the very containerd the
# docker.io package runs on (/run/containerd/containerd.sock), so it is left
# exactly as the package made it: the cluster never talks to that socket.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(etcd-server containerd runc containernetworking-plugins socat conntrack gcc libc6-dev)

etcd_service_off() {
  is_root || return 0
  if [ -d /run/systemd/system ]; then
    if systemctl is-enabled --quiet etcd 2>/dev/null || systemctl is-active --quiet etcd 2>/dev/null; then
      log "k8s: disabling the etcd system service"
      systemctl disable --now etcd
    fi
    return 0
  fi
  # No systemd: the SysV script (if the package has one) and its rc links.
  if compgen -G '/etc/rc[2-5].d/S*etcd' >/dev/null && have update-rc.d; then
    log "k8s: disabling the etcd init script"
    update-rc.d etcd disable >/dev/null 2>&1 || true
  fi
}

if ! deb_installed "${PACKAGES[@]}"; then
  apt_install_quiet "${PACKAGES[@]}"
fi
etcd_service_off
for bin in etcd containerd runc socat conntrack gcc; do
  have "$bin" || die "k8s: $bin is not on PATH after installing ${PACKAGES[*]}"
done
[ -x /usr/lib/cni/bridge ] || die "k8s: no CNI bridge plugin at /usr/lib/cni/bridge"

bash "$WM_REPO_ROOT/scripts/k8s/build.sh"
