#!/usr/bin/env bash
# Runs every Python SDK example (python/examples/*.py) against a live server, each
# unmodified, as a user would: `python python/examples/X.py`, with the project's venv.
# The server is WORKSPACE_API_URL (the examples' default: http://127.0.0.1:8080), the
# API key WORKSPACE_API_KEY if set. Each example gets WM_EXAMPLES_TIMEOUT seconds (180).
# Prints each result, then `examples: N passed, N failed` on a line of its own; exits
# non-zero if any example failed or none ran.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/python/.venv/bin/python"
LIMIT=${WM_EXAMPLES_TIMEOUT:-180}

if [ ! -x "$PY" ]; then
  echo "examples: $PY is missing (run scripts/bootstrap.sh, or pip install -e 'python[dev]' into python/.venv)" >&2
  echo "examples: 0 passed, 1 failed"
  exit 1
fi

echo "examples: against ${WORKSPACE_API_URL:-http://127.0.0.1:8080 (default)}"
pass=0 fail=0 failed=()
for example in "$ROOT"/python/examples/*.py; do
  [ -e "$example" ] || continue
  name="$(basename "$example")"
  echo "==== $name"
  start=$(date +%s)
  # From the repository root and by path, exactly as the examples' README says to run them.
  (cd "$ROOT" && timeout --kill-after=10 "$LIMIT" "$PY" "python/examples/$name" </dev/null)
  rc=$?
  took=$(($(date +%s) - start))
  if [ "$rc" = 0 ]; then
    pass=$((pass + 1))
    echo "==== ok: $name (${took}s)"
  else
    fail=$((fail + 1))
    failed+=("$name")
    [ "$rc" = 124 ] && why="timed out after ${LIMIT}s" || why="exit code $rc"
    echo "==== FAILED: $name ($why, ${took}s)"
  fi
done

[ "$fail" = 0 ] || echo "failed examples: ${failed[*]}"
[ $((pass + fail)) -gt 0 ] || echo "no examples found in $ROOT/python/examples"
echo "examples: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
