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

out="$(mktemp "${TMPDIR:-/tmp}/wm-replicas-run.XXXXXX")"
trap 'rm -f "$out"' EXIT

start=$(date +%s)
node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  packages/server/test/replicas/*.test.ts 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

read -r pass fail skip < <(awk '
  /^(# |ℹ )pass [0-9]+$/ { p = $NF }
  /^(# |ℹ )fail [0-9]+$/ { f = $NF }
  /^(# |ℹ )(skipped|todo) [0-9]+$/ { s += $NF }
  END { printf "%d %d %d\n", p, f, s }' "$out")
echo "replicas: $pass passed, $fail failed, $skip skipped in $(($(date +%s) - start))s"
[ "$rc" = 0 ] && [ "$fail" = 0 ] && [ "$pass" -gt 0 ]
