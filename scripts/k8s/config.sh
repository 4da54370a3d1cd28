#!/usr/bin/env bash
# Usage: scripts/k8s/config.sh
#
# Writes the test cluster's certificates (openssl; made once, kept until
# `down.sh --purge`, so a kubeconfig handed to a test stays valid across
# down/up), kubeconfigs and the configs of containerd, CNI and kubelet into
# $WM_K8S_DIR. Configs are rewritten on every run (cheap; they follow the
# scripts). Called by up.sh.
set -euo pipefail
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D="$WM_K8S_DIR"
P="$D/pki"
mkdir -p "$P" "$D/containerd" "$D/cni/net.d" "$D/cni/ipam"
umask 077

# ---- certificates -------------------------------------------------------------
[ -s "$P/ca.crt" ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" \
  -subj /CN=wm-k8s-ca -days 3650 -out "$P/ca.crt" 2>/dev/null
if [ ! -s "$P/sa.pub" ]; then
  openssl genrsa -out "$P/sa.key" 2048 2>/dev/null
  openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null
fi

# cert NAME SUBJECT [SANS]: a CA-signed key pair; with SANs it can serve too.
cert() {
  local name="$1" subj="$2" san="${3:-}" ext
  [ -s "$P/$name.crt" ] && return 0
  ext="$(mktemp)"
  if [ -n "$san" ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >"$ext"
  fi
  openssl req -new -newkey rsa:2048 -nodes -keyout "$P/$name.key" -subj "$subj" \
    -out "$P/$name.csr" 2>/dev/null
  openssl x509 -req -in "$P/$name.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$P/$name.crt" 2>/dev/null
  rm -f "$ext" "$P/$name.csr"
}
# 10.217.128.1: the first address of the service range (the in-cluster name of
# the API server, kubernetes.default), in case a client uses it.
cert apiserver /CN=kube-apiserver \
  "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.217.128.1"
cert admin /O=system:masters/CN=admin
cert apiserver-kubelet-client /O=system:masters/CN=kube-apiserver-kubelet-client
cert controller-manager /CN=system:kube-controller-manager
cert scheduler /CN=system:kube-scheduler
cert kubelet "/O=system:nodes/CN=system:node:$K8S_NODE_NAME"
cert kubelet-serving "/CN=$K8S_NODE_NAME" "DNS:$K8S_NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$K8S_NODE_IP"

# The same address works on the host (the forwarder) and inside the node.
kubeconfig() { # NAME CERT
  cat >"$D/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: wm-k8s
  cluster: {server: "https://127.0.0.1:$K8S_API_PORT", certificate-authority: $P/ca.crt}
users:
- name: $2
  user: {client-certificate: $P/$2.crt, client-key: $P/$2.key}
contexts:
- name: wm-k8s
  context: {cluster: wm-k8s, user: $2}
current-context: wm-k8s
EOF
}
kubeconfig admin admin
kubeconfig controller-manager controller-manager
kubeconfig scheduler scheduler
kubeconfig kubelet kubelet
umask 022

# ---- containerd: a separate instance, never Docker's -----------------------------
# Own socket and root under $D; state under the node namespace's private /run
# (shim sockets and runc state are hard-wired below /run/containerd anyway, which
# is why the node has a private /run at all).
# restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, so runc cannot set the
# sandbox's negative oom_score_adj; without it every pod fails with "can't get
# final child's PID from pipe: EOF".
cat >"$D/containerd/config.toml" <<EOF
version = 2
root = "$D/containerd/root"
state = "/run/wm-k8s/containerd"
[grpc]
  address = "$K8S_CTR_SOCK"
[ttrpc]
  address = "$D/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$K8S_PAUSE_IMAGE"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/cni/net.d"
EOF

# ---- CNI: the node's bridge (made by node-ns.sh), no default route, no NAT --------
# Pods reach each other and the node (10.217.0.1) only; nothing leaves the node.
cat >"$D/cni/net.d/10-wm-k8s.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "wm-k8s",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$K8S_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$D/cni/ipam",
        "ranges": [[{ "subnet": "$K8S_POD_CIDR", "rangeStart": "10.217.0.10", "gateway": "$K8S_NODE_IP" }]]
      }
    }
  ]
}
EOF

# ---- kubelet ----------------------------------------------------------------------
# failCgroupV1: false - 1.35 refuses cgroup v1 hosts (these machines) otherwise.
# cgroupRoot: pods go under /sys/fs/cgroup/<controller>/$K8S_CGROUP_ROOT/kubepods
# (up.sh makes the root), not under a machine-wide /kubepods.
# imageGC thresholds at 100: images are loaded by hand (no registry), never GC them.
# protectKernelDefaults stays false: kubelet then sets its sysctls, which land on
# the node namespace's private copies (node-ns.sh), not the host's.
cat >"$D/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $K8S_NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $P/kubelet-serving.crt
tlsPrivateKeyFile: $P/kubelet-serving.key
cgroupDriver: cgroupfs
cgroupRoot: /$K8S_CGROUP_ROOT
containerRuntimeEndpoint: unix://$K8S_CTR_SOCK
failCgroupV1: false
failSwapOn: false
protectKernelDefaults: false
podLogsDirectory: $D/kubelet/pod-logs
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
maxPods: 100
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "2%"
  imagefs.available: "2%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
