#!/usr/bin/env bash
# Usage: scripts/k8s/smoke.sh   (after scripts/k8s/up.sh)
#
# Checks the test cluster end to end: a pod from Docker's workspace-test:latest
# (imagePullPolicy: Never: the image was loaded, nothing is pulled) with a
# hostPath volume becomes Ready; `kubectl exec` runs; the pod's IP answers from
# the node's network namespace (in-node.sh) and serves a file the host wrote
# into the volume; a file the pod writes shows up on the host; the pod is
# deleted. Prints the time of each stage. Leaves nothing behind.
set -euo pipefail
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Every call has a hard bound (timeout) besides kubectl's own: a stalled
# connection must fail the check, not hang it.
KUBECTL=(timeout 90 "$K8S_BIN/kubectl" --kubeconfig "$K8S_KUBECONFIG" -n workspace-manager)
pod="wm-smoke-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
vol="$(mktemp -d /tmp/wm-k8s-smoke.XXXXXX)"
cleanup() {
  "${KUBECTL[@]}" delete pod "$pod" --ignore-not-found --grace-period=0 --wait=false >/dev/null 2>&1 || true
  rm -rf "$vol"
}
trap cleanup EXIT
fail() {
  "${KUBECTL[@]}" describe pod "$pod" 2>/dev/null | tail -n 20 >&2 || true
  k8s_die "smoke: $*"
}
echo "from-host" >"$vol/host.txt"
chmod 755 "$vol"

t=$(k8s_now)
"${KUBECTL[@]}" apply -f - >/dev/null <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: $pod, labels: {app: wm-smoke}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: workspace-test:latest
    imagePullPolicy: Never
    command: [python3, -m, http.server, "7070", --directory, /data]
    ports: [{containerPort: 7070}]
    readinessProbe:
      tcpSocket: {port: 7070}
      periodSeconds: 1
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    hostPath: {path: $vol, type: Directory}
EOF2
"${KUBECTL[@]}" wait --for=condition=Ready "pod/$pod" --timeout=60s >/dev/null || fail "pod not Ready in 60 s"
echo "smoke: pod Ready in $(k8s_elapsed "$t")"

t=$(k8s_now)
out="$("${KUBECTL[@]}" --request-timeout=30s exec "$pod" -- sh -c 'echo ok; echo from-pod > /data/pod.txt')" || fail "kubectl exec failed"
[ "$out" = ok ] || fail "kubectl exec printed '$out', not 'ok'"
[ "$(cat "$vol/pod.txt")" = from-pod ] || fail "the pod's file is not in the host directory"
echo "smoke: kubectl exec 'echo ok' in $(k8s_elapsed "$t")"

t=$(k8s_now)
ip="$("${KUBECTL[@]}" get pod "$pod" -o jsonpath='{.status.podIP}')"
got="$(bash "$K8S_SCRIPTS/in-node.sh" curl -sS -m 5 "http://$ip:7070/host.txt")" || fail "pod IP $ip:7070 not reachable in the node"
[ "$got" = from-host ] || fail "pod at $ip served '$got', not the host's file"
echo "smoke: pod IP $ip reached from the node namespace in $(k8s_elapsed "$t")"

t=$(k8s_now)
"${KUBECTL[@]}" delete pod "$pod" --wait=false >/dev/null || fail "kubectl delete failed"
deadline=$(($(date +%s) + 60))
until left="$("${KUBECTL[@]}" get pod "$pod" --ignore-not-found -o name --request-timeout=10s 2>/dev/null)" &&
  [ -z "$left" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "pod not gone 60 s after delete"
  sleep 0.2
done
echo "smoke: pod deleted in $(k8s_elapsed "$t")"
echo "smoke: ok"
