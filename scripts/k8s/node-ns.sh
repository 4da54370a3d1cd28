#!/bin/sh
# Runs as: unshare -m -n --propagation private scripts/k8s/node-ns.sh
#
# Prepares the private network + mount namespace the WHOLE test cluster runs in
# (etcd, control plane, containerd, kubelet, pods), then holds it open. Left on
# the host, kubelet writes machine-wide sysctls and iptables rules (a
# KUBE-FIREWALL that drops non-loopback traffic to 127/8) and containerd writes
# under /run and /var/lib/cni. In here all of that is private, and it all goes
# away when this process and the daemons started inside have exited.
set -eu
D="${WM_K8S_DIR:?}"
B="$D/ns"
BRIDGE="${WM_K8S_BRIDGE:?}"
NODE_IP="${WM_K8S_NODE_IP:?}"

# Loopback, and a bridge whose address is the node IP. No default route: pods
# and the node cannot reach anything outside.
ip link set lo up
ip link add "$BRIDGE" type bridge
ip addr add "$NODE_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up

# kubelet insists on these values and writes them; give it private files.
mkdir -p "$B/sysctl"
echo 1 >"$B/sysctl/overcommit_memory"
echo 10 >"$B/sysctl/panic"
echo 1 >"$B/sysctl/panic_on_oops"
mount --bind "$B/sysctl/overcommit_memory" /proc/sys/vm/overcommit_memory
mount --bind "$B/sysctl/panic" /proc/sys/kernel/panic
mount --bind "$B/sysctl/panic_on_oops" /proc/sys/kernel/panic_on_oops

# Private /run (containerd and runc state, /run/netns of the pods) and /var/log
# (kubelet's /var/log/containers links).
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /var/log
# The CNI result cache is hard-wired to /var/lib/cni; up.sh made the mountpoint.
mkdir -p "$B/var-lib-cni"
mount --bind "$B/var-lib-cni" /var/lib/cni

echo ready >"$B/ready"
exec sleep infinity
