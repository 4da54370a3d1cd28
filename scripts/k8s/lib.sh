# shellcheck shell=bash
# Settings and helpers shared by the test cluster's scripts. Source it.
#
# WM_K8S_DIR (default /var/lib/wm-k8s) holds everything: cached binaries in
# bin-<version> (kept by `down.sh --purge`), certificates, kubeconfigs, state,
# logs and pid files. It lives outside any clone so CI runs reuse the binaries.

K8S_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export WM_K8S_DIR="${WM_K8S_DIR:-/var/lib/wm-k8s}"
# Pinned: 1.35 is the last release said to support containerd 1.x (Debian 12
# ships 1.6) and already needs an explicit opt-in for cgroup v1 hosts.
K8S_VERSION=1.35.4
K8S_BIN="$WM_K8S_DIR/bin-v$K8S_VERSION"
# The sandbox image containerd's CRI uses (packed by build.sh, no registry).
K8S_PAUSE_VERSION=3.10
K8S_PAUSE_IMAGE="registry.k8s.io/pause:$K8S_PAUSE_VERSION"
# API server port on the host's 127.0.0.1 (and inside the node namespace). A
# second cluster on one machine needs its own WM_K8S_DIR and port.
K8S_API_PORT="${WM_K8S_API_PORT:-6443}"
# kubelet's cgroup root on the host (cgroups are not namespaced here): one per
# WM_K8S_DIR, so that down.sh of one cluster never touches another's pods.
if [ "$WM_K8S_DIR" = /var/lib/wm-k8s ]; then
  K8S_CGROUP_ROOT=wm-k8s
else
  K8S_CGROUP_ROOT="wm-k8s-$(printf '%s' "$WM_K8S_DIR" | md5sum | cut -c1-8)"
fi
K8S_NODE_NAME=wm-k8s-node
# The node's bridge: the node itself is .1, pods get the rest. No route out.
K8S_BRIDGE=wmk8s0
K8S_NODE_IP=10.217.0.1
K8S_POD_CIDR=10.217.0.0/24
K8S_KUBECONFIG="$WM_K8S_DIR/admin.kubeconfig"
K8S_CTR_SOCK="$WM_K8S_DIR/containerd/containerd.sock"
K8S_RUN="$WM_K8S_DIR/run"
K8S_LOGS="$WM_K8S_DIR/logs"
# Marks that a test cluster created the host's empty /var/lib/cni mountpoint
# (machine-wide, as any cluster on the machine may be the last to go down).
K8S_CNI_MARKER=/run/wm-k8s-created-var-lib-cni

k8s_log() { printf '[k8s] %s\n' "$*" >&2; }
k8s_die() {
  k8s_log "ERROR: $*"
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
k8s_now() { date +%s.%N; }
k8s_elapsed() { awk -v a="$1" -v b="$(k8s_now)" 'BEGIN { printf "%.1fs", b - a }'; }

# A live process, not a zombie: PID 1 on these machines reaps orphans only
# every few seconds, so a stopped daemon can linger as a zombie.
k8s_running() {
  local state
  [ -r "/proc/$1/status" ] || return 1
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)"
  [ -n "$state" ] && [ "$state" != Z ]
}

# Start time (clock ticks since boot) of PID: with the pid it identifies a
# process, so a pid file from before a reboot never names someone else's process.
k8s_starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 20; }

# k8s_record NAME PID: remembers a daemon this cluster started.
k8s_record() { echo "$2 $(k8s_starttime "$2")" >"$K8S_RUN/$1.pid"; }

# k8s_pid NAME: prints the recorded daemon's pid when that very process still runs.
k8s_pid() {
  local pid start
  [ -s "$K8S_RUN/$1.pid" ] || return 1
  read -r pid start <"$K8S_RUN/$1.pid" || true
  [ -n "$pid" ] && k8s_running "$pid" && [ "$(k8s_starttime "$pid")" = "$start" ] || return 1
  echo "$pid"
}

# PID of the process holding the node's network+mount namespace, if it runs.
k8s_holder_pid() { k8s_pid node-ns; }

# k8s_lock: one up.sh or down.sh at a time per cluster (two suite runs starting
# together would otherwise both start daemons). up.sh calls down.sh holding it.
# Daemons must not inherit the lock's fd 8 (they start with 8>&-).
k8s_lock() {
  [ "${WM_K8S_LOCKED:-}" = "$WM_K8S_DIR" ] && return 0
  mkdir -p "$WM_K8S_DIR"
  exec 8>"$WM_K8S_DIR/cluster.lock"
  flock -w 300 8 || k8s_die "another up.sh/down.sh holds $WM_K8S_DIR/cluster.lock for 5 min"
  export WM_K8S_LOCKED="$WM_K8S_DIR"
}

# ctr against the cluster's own containerd (never Docker's).
k8s_ctr() { ctr -a "$K8S_CTR_SOCK" -n k8s.io "$@"; }
