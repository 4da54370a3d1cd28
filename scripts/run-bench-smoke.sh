#!/usr/bin/env bash
# The benchmark's smoke run (BENCH_SMOKE=1): every row of `npm run bench`
# with 2-3 runs and a few MiB, only to show that each still runs. No figure
# is judged. Exits non-zero if a row FAILED or none ran.
# Needs what `npm run bench` needs: the Docker engine, the agent binary,
# workspace-test:latest and runsc (the bootstrap sets them up).
set -uo pipefail
cd "$(dirname "$0")/.."

results="$(mktemp /tmp/wm-bench-smoke.XXXXXX.json)"
trap 'rm -f "$results"' EXIT

BENCH_SMOKE=1 BENCH_RESULTS="$results" node --import tsx bench/sandbox.bench.ts
status=$?

counts="$(node -e '
  const fs = require("node:fs")
  let rows = []
  try { rows = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).rows } catch {}
  const failed = rows.filter((row) => row.failed !== undefined).length
  console.log(`${rows.length} ${failed}`)
' "$results")"
read -r ran failed <<<"$counts"
echo "bench-smoke: $ran rows ran, $failed failed"
if [ "$status" -ne 0 ] || [ "$ran" -eq 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
