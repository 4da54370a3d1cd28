#!/usr/bin/env bash
# The dashboard suite (packages/dashboard/test): Debian's Chromium, headless,
# driven by playwright-core, against real server processes (one with an API
# key, one without) on real Docker with the workspace-test:latest template.
# Builds the dashboard first when its build is missing or older than its
# sources. Needs /usr/bin/chromium (scripts/ensure-chromium.sh, a bootstrap
# step). Every test has its own time limit, and the whole run one more.
#
# Prints node's own report, then `dashboard: N passed, N failed, N skipped` on
# a line of its own; exits non-zero if any test failed or none ran.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/node-suite.sh
source scripts/node-suite.sh

start=$(date +%s)
if [ ! -x "${WM_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "dashboard: ${WM_CHROMIUM:-/usr/bin/chromium} is missing; run scripts/ensure-chromium.sh" >&2
  echo "dashboard: 0 passed, 1 failed, 0 skipped in 0s"
  exit 1
fi

index=packages/dashboard/dist/index.html
if [ ! -f "$index" ] ||
  [ -n "$(find packages/dashboard/src packages/dashboard/index.html packages/dashboard/vite.config.ts \
    packages/dashboard/package.json -newer "$index" -print -quit)" ]; then
  echo "dashboard: building packages/dashboard"
  if ! npm run --silent -w packages/dashboard build; then
    echo "dashboard: the build failed" >&2
    echo "dashboard: 0 passed, 1 failed, 0 skipped in $(($(date +%s) - start))s"
    exit 1
  fi
fi

run_node_suite dashboard "$start" \
  timeout --kill-after=30 1200 \
  node --import tsx --test --test-concurrency=1 --test-reporter=spec --test-timeout=600000 \
  packages/dashboard/test/*.test.ts
