#!/usr/bin/env bash
# The Kubernetes suite: brings up the project's single-node test cluster
# (scripts/k8s/up.sh), runs packages/server/test/kubernetes/*.test.ts inside
# the node's network namespace (where pod IPs route) against it, then
# packages/server/test/kubernetes-outside/*.test.ts from the host's (a server
# reaching agents through port-forward), and takes the cluster down again
# whatever happens.
#
# WM_SKIP_K8S=1 skips it on purpose (say so: the summary shows the suite as
# skipped with that reason); nothing else skips it.
#
# Prints node's reports, each followed by `NAME: N passed, N failed, N skipped in Ns`;
# exits non-zero if any test failed or none ran.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "${WM_SKIP_K8S:-}" = 1 ]; then
  echo "k8s: skipped because WM_SKIP_K8S=1"
  exit 0
fi

# shellcheck source=scripts/node-suite.sh
source scripts/node-suite.sh

start=$(date +%s)
# Down whatever happens; quietly unless it fails, then again to show why.
trap 'bash scripts/k8s/down.sh >/dev/null 2>&1 || bash scripts/k8s/down.sh' EXIT

if ! bash scripts/k8s/up.sh; then
  echo "k8s: the test cluster did not come up"
  exit 1
fi
export WM_TEST_KUBECONFIG="${WM_K8S_DIR:-/var/lib/wm-k8s}/admin.kubeconfig"

rc=0
run_node_suite k8s "$start" \
  bash scripts/k8s/in-node.sh node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  packages/server/test/kubernetes/*.test.ts || rc=1
# A server outside the cluster's network (WM_K8S_AGENT_ACCESS=port-forward): these run in the
# host's network namespace, where pod IPs do not route.
run_node_suite k8s-outside "$(date +%s)" \
  node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  packages/server/test/kubernetes-outside/*.test.ts || rc=1
exit "$rc"
