#!/usr/bin/env bash
# The replica suite (packages/server/test/replicas): a throwaway PostgreSQL
# cluster, two servers sharing it and one data dir, HAProxy running
# deploy/haproxy.cfg in front, real Docker and the workspace-test:latest
# template. Each test file starts and removes its own cluster; a failing test
# prints every log. Needs root or a Docker engine, PostgreSQL's binaries and
# haproxy (scripts/bootstrap.sh installs them).
#
# Prints node's own report, then `replicas: N passed, N failed, N skipped` on
# a line of its own; exits non-zero if any test failed or none ran.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/node-suite.sh
source scripts/node-suite.sh

run_node_suite replicas "$(date +%s)" \
  node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  packages/server/test/replicas/*.test.ts
