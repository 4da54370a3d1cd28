#!/usr/bin/env bash
# Usage: scripts/k8s/up.sh
#
# Brings up a real single-node Kubernetes cluster for tests: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, a containerd of its
# own (CRI) and kubelet, all inside one private network + mount namespace (see
# node-ns.sh for why). The host sees only https://127.0.0.1:6443 (a socat
# forwarder); kubeconfig: $WM_K8S_DIR/admin.kubeconfig (default
# /var/lib/wm-k8s). Pod IPs (10.217.0.0/24) are reachable only inside the
# node's network namespace: run clients there with scripts/k8s/in-node.sh.
#
# Also loads Docker's workspace-test:latest, the default template image
# ($WORKSPACE_DEFAULT_IMAGE, default ubuntu:22.04) and the newest wm-agent:*
# image when Docker has them, plus $WM_K8S_EXTRA_IMAGES (space-separated), and
# makes the workspace-manager namespace.
#
# Idempotent: when the cluster already runs and answers, it only loads images
# and returns; a half-dead cluster is taken down first. State (etcd, images,
# certificates) persists across down/up until `down.sh --purge`. Builds the
# binaries first when they are missing (build.sh; cold about 5 minutes). Every
# wait has a deadline and prints the relevant logs when it passes. Root only.
set -euo pipefail
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

t0=$(k8s_now)
[ "$(id -u)" = 0 ] || k8s_die "up.sh needs root (namespaces, mounts, cgroups)"
for bin in etcd containerd runc ctr socat nsenter unshare openssl; do
  have "$bin" || k8s_die "$bin missing; run scripts/ensure-k8s.sh (or scripts/bootstrap.sh)"
done
[ -x /usr/lib/cni/bridge ] || k8s_die "CNI plugins missing; run scripts/ensure-k8s.sh"
bash "$K8S_SCRIPTS/build.sh"
k8s_lock

D="$WM_K8S_DIR"
# Bounded twice: kubectl's own request timeout and a hard one around it.
KUBECTL=(timeout 30 "$K8S_BIN/kubectl" --kubeconfig "$K8S_KUBECONFIG" --request-timeout=20s)
mkdir -p "$K8S_RUN" "$K8S_LOGS"

# k8s_wait WHAT SECONDS "DAEMON..." CMD...: polls CMD every 0.2 s until it
# succeeds. Fails at the deadline, or at once when one of the named daemons has
# exited, printing the tail of each named daemon's log.
k8s_wait() {
  local what="$1" secs="$2" logs="$3" deadline l why
  shift 3
  deadline=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    why=""
    [ "$(date +%s)" -ge "$deadline" ] && why="not ready after ${secs}s"
    for l in $logs; do
      [ -s "$K8S_RUN/$l.pid" ] && ! k8s_pid "$l" >/dev/null && why="$l exited"
    done
    if [ -n "$why" ]; then
      k8s_log "$what: $why"
      for l in $logs; do
        printf '%s\n' "----- tail of $K8S_LOGS/$l.log" >&2
        tail -n 25 "$K8S_LOGS/$l.log" >&2 2>/dev/null || true
      done
      k8s_die "$what did not come up (logs in $K8S_LOGS; stop with scripts/k8s/down.sh)"
    fi
    sleep 0.2
  done
}

api_ready() { [ "$(curl -sS -m 2 --cacert "$D/pki/ca.crt" "https://127.0.0.1:$K8S_API_PORT/readyz" 2>/dev/null)" = ok ]; }

# Node Ready with a heartbeat from THIS kubelet: etcd keeps the last run's
# status, which says Ready until the controller notices the node is gone.
node_ready_since() {
  local out
  out="$("${KUBECTL[@]}" get node "$K8S_NODE_NAME" -o \
    jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.status} {.lastHeartbeatTime}{end}')" || return 1
  [ "${out%% *}" = True ] && [ "$(date -d "${out#* }" +%s)" -ge "$1" ]
}

# Docker images the cluster gets, when Docker has them.
load_images() {
  local images=() default agent
  if ! docker info >/dev/null 2>&1; then
    k8s_log "images: no Docker engine answers; none loaded"
    return 0
  fi
  docker image inspect workspace-test:latest >/dev/null 2>&1 && images+=(workspace-test:latest)
  default="${WORKSPACE_DEFAULT_IMAGE:-ubuntu:22.04}"
  if docker image inspect "$default" >/dev/null 2>&1; then
    images+=("$default")
  else
    k8s_log "images: Docker has no $default (the default template image); not loaded"
  fi
  # The newest wm-agent:<version> (scripts/build-agent-image.sh builds it).
  agent="$(docker images --format '{{.CreatedAt}}\t{{.Repository}}:{{.Tag}}' wm-agent |
    grep -v '<none>' | sort -r | head -n 1 | cut -f 2)"
  if [ -n "$agent" ]; then
    images+=("$agent")
  else
    k8s_log "images: Docker has no wm-agent:* image (scripts/build-agent-image.sh builds it); not loaded"
  fi
  # shellcheck disable=SC2206 # a space-separated list by design
  images+=(${WM_K8S_EXTRA_IMAGES:-})
  [ "${#images[@]}" -eq 0 ] || bash "$K8S_SCRIPTS/load-image.sh" "${images[@]}"
}

# The namespace the server uses by default, with its default ServiceAccount
# (pods cannot be created in a namespace before it exists).
app_namespace() {
  "${KUBECTL[@]}" get namespace workspace-manager >/dev/null 2>&1 ||
    "${KUBECTL[@]}" create namespace workspace-manager >/dev/null
  k8s_wait "ServiceAccounts" 60 kube-controller-manager \
    "${KUBECTL[@]}" -n workspace-manager get serviceaccount default
  k8s_wait "ServiceAccounts" 60 kube-controller-manager "${KUBECTL[@]}" -n default get serviceaccount default
}

# Every daemon up.sh starts still runs (a dead kubelet leaves the node Ready in
# etcd for a while, so the API alone does not tell).
all_running() {
  local name
  for name in node-ns etcd kube-apiserver socat-ns socat-host containerd kube-controller-manager kube-scheduler kubelet; do
    k8s_pid "$name" >/dev/null || return 1
  done
}

# ---- already up? -------------------------------------------------------------------
if k8s_holder_pid >/dev/null; then
  if all_running && api_ready && node_ready_since 0; then
    k8s_log "already running"
    load_images
    app_namespace
    echo "k8s: up in $(k8s_elapsed "$t0")"
    exit 0
  fi
  k8s_log "a cluster is partly running or not answering; taking it down first"
fi
# Also clears what a crashed run left (pid files, cgroups, the CNI mountpoint).
bash "$K8S_SCRIPTS/down.sh" >/dev/null

if (exec 3<>"/dev/tcp/127.0.0.1/$K8S_API_PORT") 2>/dev/null; then
  k8s_die "127.0.0.1:$K8S_API_PORT is taken by another process: $(ss -ltnpH "sport = :$K8S_API_PORT" 2>/dev/null)"
fi

bash "$K8S_SCRIPTS/config.sh"
# Runtime-only state goes: every pod died with the last namespace, so their IP
# leases and CNI cache entries are stale.
rm -rf "$D/ns" "$D/cni/ipam" "$K8S_LOGS"/*.log "$D/containerd/containerd.sock"*
mkdir -p "$D/ns" "$D/cni/ipam" "$D/kubelet/pod-logs"
if [ ! -d /var/lib/cni ]; then
  mkdir -p /var/lib/cni
  touch "$K8S_CNI_MARKER" # the last down.sh removes it again
fi

# ---- the node namespace ----------------------------------------------------------
WM_K8S_BRIDGE="$K8S_BRIDGE" WM_K8S_NODE_IP="$K8S_NODE_IP" \
  setsid unshare -m -n --propagation private "$K8S_SCRIPTS/node-ns.sh" \
  >"$K8S_LOGS/node-ns.log" 2>&1 </dev/null 8>&- &
k8s_record node-ns $!
k8s_wait "node namespace" 10 node-ns test -f "$D/ns/ready"
HOLDER="$(k8s_holder_pid)" || k8s_die "the node namespace's holder exited: $(tail -n 5 "$K8S_LOGS/node-ns.log")"
# The node's mount namespace, for down.sh to find what runs in it even if the
# holder died (with the boot id: namespace ids are reused after a reboot).
echo "$(readlink "/proc/$HOLDER/ns/mnt") $(cat /proc/sys/kernel/random/boot_id)" >"$K8S_RUN/node-ns.mnt"

# start NAME CMD...: a daemon inside the namespace, in its own session (so
# down.sh can end it and its children by process group), pid recorded.
start() {
  local name="$1"
  shift
  nsenter -t "$HOLDER" -m -n -- setsid "$@" >"$K8S_LOGS/$name.log" 2>&1 </dev/null 8>&- &
  k8s_record "$name" $!
}

# ---- control plane, and containerd meanwhile ---------------------------------------
P="$D/pki"
start etcd etcd --name wm-k8s --data-dir "$D/etcd-data" \
  --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster wm-k8s=http://127.0.0.1:23800 --listen-metrics-urls http://127.0.0.1:23810
# --endpoint-reconciler-type=none: the advertise address is loopback, which the
# default reconciler refuses to publish as the kubernetes Service's endpoint.
start kube-apiserver "$K8S_BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:23790 \
  --bind-address=127.0.0.1 --secure-port="$K8S_API_PORT" --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none --service-cluster-ip-range=10.217.128.0/24 \
  --client-ca-file="$P/ca.crt" --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
  --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$P/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$P/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true
# Host 127.0.0.1:6443 -> a unix socket -> 127.0.0.1:6443 inside the namespace.
start socat-ns socat "UNIX-LISTEN:$K8S_RUN/apiserver.sock,fork,unlink-early" "TCP:127.0.0.1:$K8S_API_PORT"
setsid socat "TCP-LISTEN:$K8S_API_PORT,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$K8S_RUN/apiserver.sock" \
  >"$K8S_LOGS/socat-host.log" 2>&1 </dev/null 8>&- &
k8s_record socat-host $!
start containerd containerd --config "$D/containerd/config.toml"

k8s_wait containerd 30 containerd k8s_ctr version
if [ -z "$(k8s_ctr images ls -q "name==$K8S_PAUSE_IMAGE")" ]; then
  k8s_ctr images import "$K8S_BIN/pause.tar" >/dev/null
fi
k8s_wait kube-apiserver 90 "etcd kube-apiserver socat-host" api_ready
k8s_log "control plane answers ($(k8s_elapsed "$t0"))"

start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$D/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$D/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$D/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
  --controllers='*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle,-route'
start kube-scheduler "$K8S_BIN/kube-scheduler" --kubeconfig="$D/scheduler.kubeconfig" \
  --authentication-kubeconfig="$D/scheduler.kubeconfig" --authorization-kubeconfig="$D/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false
# kubelet's cgroup root must exist in every hierarchy; a new v1 cpuset cgroup
# starts with no CPUs or memory nodes, so it gets its parent's.
for h in /sys/fs/cgroup/*/; do
  [ -d "$h" ] || continue
  mkdir -p "$h$K8S_CGROUP_ROOT"
  if [ -f "${h}cpuset.cpus" ] && [ -z "$(cat "$h$K8S_CGROUP_ROOT/cpuset.cpus")" ]; then
    cat "${h}cpuset.cpus" >"$h$K8S_CGROUP_ROOT/cpuset.cpus"
    cat "${h}cpuset.mems" >"$h$K8S_CGROUP_ROOT/cpuset.mems"
  fi
done
kubelet_start=$(date +%s)
start kubelet "$K8S_BIN/kubelet" --config="$D/kubelet-config.yaml" --kubeconfig="$D/kubelet.kubeconfig" \
  --root-dir="$D/kubelet" --hostname-override="$K8S_NODE_NAME" --node-ip="$K8S_NODE_IP"

# Images load while kubelet registers the node.
load_images
k8s_wait "node $K8S_NODE_NAME Ready" 90 "kubelet containerd" node_ready_since "$kubelet_start"
app_namespace

k8s_log "kubeconfig: $K8S_KUBECONFIG; pod network: scripts/k8s/in-node.sh CMD..."
echo "k8s: up in $(k8s_elapsed "$t0")"
