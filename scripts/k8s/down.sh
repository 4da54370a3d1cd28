#!/usr/bin/env bash
# Usage: scripts/k8s/down.sh [--purge]
#
# Stops what up.sh started, and only that: the daemons recorded in
# $WM_K8S_DIR/run (each with its process group), the pods' processes (found
# through the cluster's own cgroup root, kubelet's cgroupRoot), and any other
# process left in the node's mount namespace (containerd's shims). When the last
# of them is gone the node's network namespace (bridge, veths, kubelet's
# iptables rules) and its mounts vanish. Then removes the host leftovers: those
# cgroups and the empty /var/lib/cni mountpoint if up.sh made it. Idempotent; a
# no-op when nothing runs.
#
# --purge also removes the cluster's state (etcd data, containerd's images,
# kubelet's dir, certificates, logs), never the cached binaries (bin-<version>).
set -euo pipefail
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
case "${1:-}" in
  --purge) purge=1 ;;
  "") ;;
  *) k8s_die "usage: down.sh [--purge]" ;;
esac
t0=$(k8s_now)
D="$WM_K8S_DIR"
[ -d "$D" ] || exit 0
[ "$(id -u)" = 0 ] || k8s_die "down.sh needs root"
k8s_lock

# wait_gone SECONDS PID...: true once none of the PIDs runs (zombies count as gone).
wait_gone() {
  local deadline=$(($(date +%s) + $1)) p alive
  shift
  while :; do
    alive=0
    for p; do k8s_running "$p" && alive=1; done
    [ "$alive" = 0 ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# stop NAME: SIGTERM to the recorded daemon's process group (socat's forked
# children, etc.), SIGKILL after 10 s.
stop() {
  local file="$K8S_RUN/$1.pid" pid
  [ -s "$file" ] || return 0
  if pid="$(k8s_pid "$1")"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone 10 "$pid"; then
      k8s_log "$1 ($pid) ignored SIGTERM for 10 s; SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      wait_gone 5 "$pid" || k8s_log "$1 ($pid) still runs after SIGKILL"
    fi
  fi
  rm -f "$file"
}

# Processes of the pods: every pid in this cluster's cgroup root (kubelet's
# cgroupRoot; one hierarchy lists them all).
pod_pids() {
  local dir
  for dir in "/sys/fs/cgroup/pids/$K8S_CGROUP_ROOT" "/sys/fs/cgroup/memory/$K8S_CGROUP_ROOT"; do
    [ -d "$dir" ] || continue
    find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null
    return 0
  done
}

# Processes in the node's mount namespace (recorded by up.sh) other than the
# holder: daemons started with nsenter and everything they spawned (shims).
# in-node.sh clients share only the network namespace and are left alone.
ns_pids() {
  local want boot p
  read -r want boot 2>/dev/null <"$K8S_RUN/node-ns.mnt" || return 0
  [ "$boot" = "$(cat /proc/sys/kernel/random/boot_id)" ] || return 0
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [ "$p" = "${holder:-}" ] && continue
    [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$want" ] && echo "$p"
  done
  return 0
}

holder="$(k8s_holder_pid || true)"
# kubelet first, so it restarts nothing we stop next.
stop kubelet
# Pod containers: ask our containerd to kill them, then kill what is left.
if [ -S "$K8S_CTR_SOCK" ] && k8s_ctr version >/dev/null 2>&1; then
  for task in $(k8s_ctr tasks ls -q 2>/dev/null); do k8s_ctr tasks kill -s KILL "$task" >/dev/null 2>&1 || true; done
fi
mapfile -t pids < <(pod_pids)
if [ "${#pids[@]}" -gt 0 ]; then
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait_gone 10 "${pids[@]}" || k8s_log "pod processes still run: $(pod_pids | tr '\n' ' ')"
fi
stop containerd
stop socat-host
for name in kube-scheduler kube-controller-manager kube-apiserver socat-ns etcd; do stop "$name"; done
mapfile -t pids < <(ns_pids)
if [ "${#pids[@]}" -gt 0 ]; then
  kill -TERM "${pids[@]}" 2>/dev/null || true
  if ! wait_gone 5 "${pids[@]}"; then
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_gone 5 "${pids[@]}" || k8s_log "left in the node namespace: $(ns_pids | tr '\n' ' ')"
  fi
fi
# The holder last: with it the namespace's mounts go.
stop node-ns
rm -f "$K8S_RUN/node-ns.mnt"

# kubelet's cgroups (cgroupfs driver: one tree per v1 hierarchy), deepest first.
for dir in /sys/fs/cgroup/*/"$K8S_CGROUP_ROOT"; do
  if [ -d "$dir" ]; then find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
done
# The CNI mountpoint a cluster's up.sh made, once no node namespace (of this or
# another cluster) has it mounted any more.
if [ -f "$K8S_CNI_MARKER" ] && ! grep -qs ' /var/lib/cni ' /proc/[0-9]*/mountinfo; then
  rmdir /var/lib/cni 2>/dev/null || k8s_log "/var/lib/cni is not empty; left in place"
  rm -f "$K8S_CNI_MARKER"
fi
rm -f "$K8S_RUN/apiserver.sock" "$K8S_CTR_SOCK" "$K8S_CTR_SOCK.ttrpc"

if [ "$purge" = 1 ]; then
  rm -rf "$D/etcd-data" "$D/containerd" "$D/kubelet" "$D/cni" "$D/ns" "$D/pki" "$K8S_LOGS" \
    "$D"/*.kubeconfig "$D/kubelet-config.yaml"
  k8s_log "state removed (binaries kept in $K8S_BIN)"
fi
echo "k8s: down in $(k8s_elapsed "$t0")"
