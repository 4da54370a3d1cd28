#!/usr/bin/env bash
# Usage: scripts/k8s/in-node.sh CMD [ARG...]
#
# Runs CMD in the test cluster's node NETWORK namespace only: the host's
# filesystem, /run, the Docker socket and environment stay as they are, but the
# network is the node's, where pod IPs (10.217.0.0/24 on the node's bridge) are
# reachable and the API server answers on 127.0.0.1:6443 directly. Servers and
# tests that talk to agents at pod IPs run through this. Note the other side:
# in there the host's own 127.0.0.1 listeners are NOT reachable (the node has
# its own loopback), so run the client of such a server in here too.
# CMD's exit code is returned. Root only (setns).
set -euo pipefail
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" -gt 0 ] || k8s_die "usage: in-node.sh CMD [ARG...]"
holder="$(k8s_holder_pid)" || k8s_die "the test cluster is not up (scripts/k8s/up.sh)"
exec nsenter -t "$holder" -n -- "$@"
