#!/usr/bin/env bash
# Contract test of the HTTP API: schemathesis (every phase, every check) against
# the live server at WM_TEST_API_URL, driven by the server's own /openapi.json.
# Bounded by a fixed seed, a cap on examples per operation and a time budget;
# every sandbox and workspace the run creates is removed afterwards, and the
# run fails if it leaves a container behind. Ends with the line
# "schemathesis: N passed, N failed" (schemathesis' own counts, summed over its
# phases) and exits non-zero when anything failed.
#
# Environment: WM_TEST_API_URL (required), WORKSPACE_API_KEY and
# WORKSPACE_API_KEY_HEADER when the server wants a key,
# WM_SCHEMATHESIS_MAX_TIME (seconds, default 90), WM_SCHEMATHESIS_SEED,
# WM_SCHEMATHESIS_MAX_EXAMPLES (per operation, default 25),
# WM_SCHEMATHESIS_MAX_SANDBOXES (default 3; see scripts/schemathesis_hooks.py).
#
# schemathesis lives in a venv of its own (python/.venv-schemathesis, git-ignored):
# it pins hypothesis, jsonschema and friends at versions the SDK's dev venv
# has no reason to share, and the SDK must not depend on any of it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URL="${WM_TEST_API_URL:?set WM_TEST_API_URL to the server to test, e.g. http://127.0.0.1:8080}"
URL="${URL%/}"
VERSION=4.32.5
VENV="$ROOT/python/.venv-schemathesis"
MAX_TIME="${WM_SCHEMATHESIS_MAX_TIME:-90}"
SEED="${WM_SCHEMATHESIS_SEED:-20261205}"
MAX_EXAMPLES="${WM_SCHEMATHESIS_MAX_EXAMPLES:-25}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wm-schemathesis.XXXXXX")"

say() { printf '[schemathesis] %s\n' "$*" >&2; }

headers=()
if [ -n "${WORKSPACE_API_KEY:-}" ]; then
  headers=(-H "${WORKSPACE_API_KEY_HEADER:-X-API-Key}: $WORKSPACE_API_KEY")
fi

ensure_venv() {
  if [ -x "$VENV/bin/schemathesis" ] && "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $VERSION\$"; then
    return 0
  fi
  say "installing schemathesis $VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
}

# ids KIND -> the ids of the server's sandboxes or workspaces, one a line.
ids() {
  curl -fsS --max-time 10 "${headers[@]}" "$URL/v1/$1" |
    "$VENV/bin/python" -c 'import json, sys; [print(x["id"]) for x in json.load(sys.stdin)[sys.argv[1]]]' "$1"
}

# Containers still there of the sandboxes the run created (recorded by the hooks).
leftover_containers() {
  local id
  [ -f "$WORK/created" ] || return 0
  sort -u "$WORK/created" | while read -r id; do
    docker ps -aq --filter "label=wm.sandbox=$id" 2>/dev/null
  done
}

# remove_new KIND QUERY: deletes what the run added to KIND.
remove_new() {
  local kind="$1" query="$2" id
  ids "$kind" | sort >"$WORK/$kind.after" || return 0
  for id in $(comm -13 "$WORK/$kind.before" "$WORK/$kind.after"); do
    curl -sS -o /dev/null --max-time 60 -X DELETE "${headers[@]}" "$URL/v1/$kind/$id$query" || true
  done
}

cleanup() {
  if [ -f "$WORK/workspaces.before" ]; then
    remove_new sandboxes '?force=true'
    remove_new workspaces ''
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! curl -fsS --max-time 10 -o /dev/null "$URL/health"; then
  say "no server answers at $URL/health"
  echo "schemathesis: 0 passed, 1 failed"
  exit 1
fi
ensure_venv
ids sandboxes | sort >"$WORK/sandboxes.before"
ids workspaces | sort >"$WORK/workspaces.before"

say "running against $URL (seed $SEED, at most $MAX_EXAMPLES examples per operation, ${MAX_TIME}s)"
t0=$(date +%s)
set +e
# From the scratch directory: schemathesis keeps its replay store (.schemathesis/) in the
# working directory. The time budget bounds generation; timeout(1) is the hard stop should
# a request hang.
cd "$WORK"
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" WM_SCHEMATHESIS_CREATED="$WORK/created" \
  timeout --kill-after=10 $((MAX_TIME + 150)) "$VENV/bin/schemathesis" --no-color \
  --config-file "$ROOT/scripts/schemathesis.toml" run "$URL/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --seed "$SEED" \
  --max-examples "$MAX_EXAMPLES" \
  --max-time "$MAX_TIME" \
  --request-timeout 60 \
  "${headers[@]}" 2>&1 | tee "$WORK/output.txt"
rc=${PIPESTATUS[0]}
set -e
say "schemathesis finished in $(($(date +%s) - t0))s (exit $rc)"

remove_new sandboxes '?force=true'
remove_new workspaces ''
say "sandboxes created: $(sort -u "$WORK/created" 2>/dev/null | wc -l || true)"
left=$(leftover_containers | wc -l)
if [ "$left" != 0 ]; then
  say "the run left $left container(s) behind"
  rc=1
fi

# Each phase reports "✅ 16 passed  ❌ 3 failed  🚫 1 errors"; errors count as failures.
read -r passed failed < <(awk '
  / passed/ && /^ *(✅|❌|🚫)/ {
    for (i = 2; i <= NF; i++) {
      if ($i ~ /^passed/) p += $(i - 1)
      if ($i ~ /^(failed|errors?)/) f += $(i - 1)
    }
  }
  END { printf "%d %d\n", p, f }' "$WORK/output.txt")
[ "$rc" = 0 ] || [ "$failed" != 0 ] || failed=1
echo "schemathesis: $passed passed, $failed failed"
exit $((rc != 0 || failed != 0))
