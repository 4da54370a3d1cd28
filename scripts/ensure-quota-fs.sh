#!/usr/bin/env bash
# Prepares a filesystem that can enforce per-workspace disk quotas, for the
# quota tests and for an operator who wants WM_DATA_DIR on one: btrfs with
# quotas (qgroups) enabled, each workspace then a subvolume with its own limit
# (docs/quotas.md). A sparse image file is formatted btrfs and loop-mounted.
#
# Why not XFS project quotas: XFS (and ext4) quotas need the kernel's quota
# support (CONFIG_XFS_QUOTA, CONFIG_QFMT_V2), which kernels built without it
# refuse at mount time ("quota support not available in this kernel");
# btrfs qgroups are part of btrfs itself.
#
# Env: WM_QUOTA_FS_IMAGE (default /var/lib/wm-quota.img), WM_QUOTA_FS_MOUNT
# (default /var/lib/wm-quota, the tests' WM_TEST_QUOTA_ROOT), WM_QUOTA_FS_SIZE
# (default 16G; sparse, so it takes only what is written), WM_QUOTA_FS_MODE
# (default 1777: tests running as any user make their data directories here).
# ensure-docker.sh uses it for the engine's data root too.
#
# Idempotent: mounted with quotas on -> nothing (well under a second); an image
# that exists but is not mounted (after a reboot) is mounted again with its
# contents kept. Installs btrfs-progs if missing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE="${WM_QUOTA_FS_IMAGE:-/var/lib/wm-quota.img}"
MOUNT="${WM_QUOTA_FS_MOUNT:-/var/lib/wm-quota}"
SIZE="${WM_QUOTA_FS_SIZE:-16G}"

apt_install btrfs-progs
have btrfs || die "btrfs-progs installed but the btrfs tool is missing"

# The filesystem type of $MOUNT when it is a mount point, else nothing.
mounted_type() { awk -v m="$MOUNT" '$2 == m { print $3 }' /proc/mounts | tail -n 1; }
quotas_on() { btrfs qgroup show "$MOUNT" >/dev/null 2>&1; }

case "$(mounted_type)" in
  btrfs)
    if quotas_on; then
      log "quota-fs: $MOUNT is mounted (btrfs, quotas on)"
      exit 0
    fi
    ;;
  '') ;;
  *) die "$MOUNT is mounted but is $(mounted_type), not btrfs; unmount it or set WM_QUOTA_FS_MOUNT" ;;
esac

is_root || die "mounting $MOUNT needs root"
grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || true
grep -qw btrfs /proc/filesystems || die "this kernel has no btrfs support (not in /proc/filesystems)"

if [ -z "$(mounted_type)" ]; then
  if [ ! -e "$IMAGE" ]; then
    log "quota-fs: creating a $SIZE sparse btrfs image at $IMAGE"
    mkdir -p "$(dirname "$IMAGE")"
    truncate -s "$SIZE" "$IMAGE.tmp"
    mkfs.btrfs -q "$IMAGE.tmp"
    mv "$IMAGE.tmp" "$IMAGE"
  fi
  mkdir -p "$MOUNT"
  log "quota-fs: mounting $IMAGE at $MOUNT"
  mount -o loop "$IMAGE" "$MOUNT"
fi
[ "$(mounted_type)" = btrfs ] || die "$MOUNT is not btrfs after mounting $IMAGE"
# Kept in the filesystem: enabled once, on for every later mount.
quotas_on || btrfs quota enable "$MOUNT"
quotas_on || die "could not enable quotas on $MOUNT"
chmod "${WM_QUOTA_FS_MODE:-1777}" "$MOUNT"
log "quota-fs: $MOUNT ready ($(df -h --output=size "$MOUNT" | tail -n 1 | tr -d ' ') btrfs, quotas on)"
