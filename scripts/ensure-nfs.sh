#!/usr/bin/env bash
# Installs what the server needs to export workspaces over NFS: NFS-Ganesha
# with its VFS backend (ganesha.nfsd), rpcbind (NFSv3 clients find the MOUNT
# and NFS ports through it) and dbus (ganesha's dynamic exports are added and
# removed over D-Bus), plus libnfs-utils (nfs-ls, nfs-cat, nfs-cp: a user-space
# NFS client the tests use, since these machines have no kernel NFS client).
# Idempotent; a no-op (well under a second) when everything is installed.
#
# Nothing is started here and no file under /etc is written: the server runs
# rpcbind if none is running, a private D-Bus daemon and ganesha.nfsd itself,
# with a configuration under WM_DATA_DIR/nfs (see packages/server/src/nfs/).
# The packages' init scripts would start a ganesha on /etc/ganesha's example
# export and an rpcbind at install time; a policy-rc.d keeps them quiet.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(nfs-ganesha nfs-ganesha-vfs rpcbind dbus libnfs-utils)

if deb_installed "${PACKAGES[@]}"; then
  log "nfs: $(dpkg-query -W -f='nfs-ganesha ${Version}' nfs-ganesha) and tools installed"
  exit 0
fi

apt_install_quiet "${PACKAGES[@]}"
have ganesha.nfsd || [ -x /usr/bin/ganesha.nfsd ] || die "nfs-ganesha installed but ganesha.nfsd is missing"
log "nfs: installed $(dpkg-query -W -f='nfs-ganesha ${Version}' nfs-ganesha)"
