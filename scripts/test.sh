#!/usr/bin/env bash
# `npm test`: bootstrap, then every suite — lint and types, Go, a live server on
# a free loopback port with the Node and Python suites, the Python examples and
# schemathesis run against it. Keeps going after a failing suite, prints a
# summary table, and exits non-zero if anything failed.
#
# WM_ACCEPTANCE_DIR, when set to a folder of outside acceptance examples (the
# seed's examples made runnable; .ci/run sets it where such a folder exists),
# runs them too as an extra check. Nothing here needs it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$WM_REPO_ROOT"

ACCEPTANCE_DIR="${WM_ACCEPTANCE_DIR:-}"
ACCEPTANCE_LIST="$WM_REPO_ROOT/scripts/acceptance-landed.txt"
ACCEPTANCE_TIMEOUT=${WM_ACCEPTANCE_TIMEOUT:-180}
VENV="$WM_REPO_ROOT/python/.venv"

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/wm-test.XXXXXX")"
SERVER_PID=
SERVER_DATA=
SERVER_LOG="$LOG_DIR/server.log"

# Summary rows: name|status|passed|failed|skipped|seconds|note
rows=()
any_failed=0
total_passed=0
total_failed=0

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

SERVER_LOG_SHOWN=0
dump_server_log() {
  [ "$SERVER_LOG_SHOWN" = 0 ] && [ -s "$SERVER_LOG" ] || return 0
  SERVER_LOG_SHOWN=1
  log "---- server log (last 300 lines) ----"
  tail -n 300 "$SERVER_LOG" >&2 || true
  log "---- end of server log ----"
}

cleanup() {
  local rc=$?
  stop_server
  # An interrupted run still shows what the server said.
  [ "$rc" = 0 ] || dump_server_log
  [ -z "$SERVER_DATA" ] || safe_rm_tree "$SERVER_DATA"
  rm -rf "$LOG_DIR"
}
trap cleanup EXIT

# count KIND LOGFILE -> "passed failed skipped" (or "- - -" when not counted).
count() {
  local kind="$1" file="$2"
  case "$kind" in
    node)
      # node's test runner: TAP "# pass 3" or spec "ℹ pass 3", once per package.
      awk '
        /^(# |ℹ )pass [0-9]+$/ { p += $NF }
        /^(# |ℹ )fail [0-9]+$/ { f += $NF }
        /^(# |ℹ )(skipped|todo) [0-9]+$/ { s += $NF }
        END { printf "%d %d %d\n", p, f, s }' "$file"
      ;;
    pytest)
      # The closing line: "3 passed, 1 failed, 2 skipped in 0.5s".
      grep -E '[0-9]+ (passed|failed|skipped|errors?|deselected)' "$file" | tail -n 1 | awk '
        { for (i = 2; i <= NF; i++) {
            w = $i; gsub(/[^a-z]/, "", w); n = $(i - 1) + 0
            if (w == "passed") p += n
            else if (w == "failed" || w == "error" || w == "errors") f += n
            else if (w == "skipped") s += n } }
        END { printf "%d %d %d\n", p, f, s }'
      ;;
    go)
      awk '
        /^ *--- PASS/ { p++ } /^ *--- FAIL/ { f++ } /^ *--- SKIP/ { s++ }
        END { printf "%d %d %d\n", p, f, s }' "$file"
      ;;
    acceptance | examples | schemathesis)
      # The plain closing line each of these prints: "examples: 7 passed, 0 failed".
      awk -v k="$kind" '$0 ~ "^" k ": [0-9]+ passed, [0-9]+ failed" { p = $2; f = $4 + 0 }
        END { printf "%d %d 0\n", p, f }' "$file"
      ;;
    *) echo "- - -" ;;
  esac
}

record() { # name status passed failed skipped seconds note
  rows+=("$1|$2|$3|$4|$5|$6|$7")
  [ "$2" = ok ] || [ "$2" = skipped ] || any_failed=1
  [ "$3" = - ] || total_passed=$((total_passed + $3))
  if [ "$4" != - ]; then
    total_failed=$((total_failed + $4))
  elif [ "$2" != ok ]; then
    total_failed=$((total_failed + 1)) # a failed suite that counts no tests
  fi
}

# suite NAME KIND FUNCTION: runs FUNCTION (errexit on, in a subshell), shows
# its output and keeps it to count tests, and records a summary row.
suite() {
  local name="$1" kind="$2" fn="$3" file="$LOG_DIR/$1.log" t0 rc p f s status note=
  log "==== $name ===="
  t0=$(date +%s)
  set +e
  (
    set -e
    "$fn"
  ) 2>&1 | tee "$file"
  rc=${PIPESTATUS[0]}
  set -e
  read -r p f s < <(count "$kind" "$file")
  status=ok
  if [ "$rc" != 0 ]; then
    status=FAILED
    note="exit $rc"
  fi
  if [ "$kind" = pytest ] && [ "$rc" = 5 ]; then note="no tests collected"; fi
  # A failed run that counted no failing test (a crash, a compile error) still
  # counts as one failure in the totals.
  if [ "$status" = FAILED ] && { [ "$f" = - ] || [ "$f" = 0 ]; }; then
    [ "$p" = - ] || f=1
  fi
  record "$name" "$status" "$p" "$f" "$s" "$(($(date +%s) - t0))" "$note"
  log "==== $name: $status ===="
}

# ---- suites -------------------------------------------------------------------

run_bootstrap() { bash scripts/bootstrap.sh; }
# The project's own pinned tools from node_modules/.bin (what `npx` would pick),
# called directly so nothing is ever fetched and arguments reach the tool as is.
npm_bin() {
  local tool="node_modules/.bin/$1"
  shift
  [ -x "$tool" ] || {
    echo "$tool is missing (npm install failed?)"
    return 1
  }
  "$tool" "$@"
}
run_eslint() { npm_bin eslint .; }
run_prettier() { npm_bin prettier --check .; }
run_tsc() {
  npm_bin tsc -b packages/protocol packages/sdk packages/server packages/cli packages/dashboard &&
    # Test files and benchmarks are type-checked too (tsx only strips their types).
    for pkg in server sdk cli dashboard; do npm_bin tsc -p "packages/$pkg/tsconfig.test.json" || return 1; done
}

run_gofmt() {
  local out
  out="$(cd agent && gofmt -l .)"
  if [ -n "$out" ]; then
    echo "gofmt: these files need formatting (run gofmt -w agent):"
    echo "$out"
    return 1
  fi
  echo "gofmt: clean"
}
run_govet() { (cd agent && go vet ./...); }
run_gotest() { (cd agent && go test -v -count=1 ./... | grep -v '^=== '); }

run_node_tests() { npm test --workspaces --if-present; }

need_venv_tool() {
  [ -x "$VENV/bin/$1" ] || {
    echo "$VENV/bin/$1 is missing: is '$1' in python/pyproject.toml's dev extra? (bootstrap installs it)"
    return 1
  }
}
run_ruff_check() {
  need_venv_tool ruff
  "$VENV/bin/ruff" check python
}
run_ruff_format() {
  need_venv_tool ruff
  "$VENV/bin/ruff" format --check python
}
run_pytest() {
  need_venv_tool pytest
  local rc=0
  "$VENV/bin/pytest" -q python/tests || rc=$?
  if [ "$rc" = 5 ]; then
    echo "pytest collected no tests in python/tests: that is a failure, not a pass"
  fi
  return "$rc"
}

run_mypy() {
  need_venv_tool mypy
  "$VENV/bin/mypy" --config-file python/pyproject.toml python/src python/examples
}

run_examples() { bash scripts/run-examples.sh; }
# Its own PostgreSQL, two servers and HAProxy: independent of the shared test server.
run_replicas() { bash scripts/run-replicas.sh; }
# Its own single-node Kubernetes cluster, brought up and taken down around the suite.
run_k8s() { bash scripts/run-k8s.sh; }
# The dashboard in a real browser (Debian's chromium), against servers of its own.
run_dashboard() { bash scripts/run-dashboard.sh; }
# Every benchmark row once or twice, small: that `npm run bench` still runs (nothing timed is asserted).
run_bench_smoke() { bash scripts/run-bench-smoke.sh; }
run_schemathesis() { bash scripts/run-schemathesis.sh; }

run_acceptance() {
  [ -d "$ACCEPTANCE_DIR" ] || {
    echo "WM_ACCEPTANCE_DIR=$ACCEPTANCE_DIR is not a directory"
    return 1
  }
  [ -f "$ACCEPTANCE_LIST" ] || {
    echo "$ACCEPTANCE_LIST is missing"
    return 1
  }
  [ -x "$VENV/bin/python" ] || {
    echo "$VENV/bin/python is missing (the Python SDK venv)"
    return 1
  }
  local pass=0 fail=0 file
  while read -r file; do
    file="${file%%#*}"
    file="${file//[[:space:]]/}"
    [ -n "$file" ] || continue
    echo "--- acceptance: $file"
    # run-acceptance.py runs the file unmodified but keeps its folder from shadowing the
    # standard library (the folder has a concurrent.py); see the script's docstring.
    if (cd "$ACCEPTANCE_DIR" && timeout "$ACCEPTANCE_TIMEOUT" "$VENV/bin/python" \
      "$WM_REPO_ROOT/scripts/run-acceptance.py" "$file"); then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      echo "FAILED: $file"
    fi
  done <"$ACCEPTANCE_LIST"
  echo "acceptance: $pass passed, $fail failed"
  [ "$fail" = 0 ] && [ "$pass" -gt 0 ]
}

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'
}

# Starts the built server in the background (in this shell, so the trap can
# stop it) and waits for GET /health.
start_server() {
  local main=packages/server/dist/main.js port t0 url nfs_port mount_port
  t0=$(date +%s)
  if [ ! -f "$main" ]; then
    log "server: $main is missing (did the build fail?)"
    record server FAILED - - - 0 "no $main"
    return 1
  fi
  port="$(free_port)"
  SERVER_DATA="$(mktemp -d "${TMPDIR:-/tmp}/wm-test-data.XXXXXX")"
  url="http://127.0.0.1:$port"
  log "server: starting on $url (data $SERVER_DATA, log $SERVER_LOG)"
  # NFS on free ports too, so a server already running here on 12049 is no obstacle.
  nfs_port="$(free_port)"
  mount_port="$(free_port)"
  while [ "$nfs_port" = "$port" ]; do nfs_port="$(free_port)"; done
  while [ "$mount_port" = "$port" ] || [ "$mount_port" = "$nfs_port" ]; do mount_port="$(free_port)"; done
  # The Splunk stand-in accepts whatever credentials its sandbox is given: the live Splunk
  # tests only need the server and the clients to agree on a pair (test values, not secrets).
  export SPLUNK_USERNAME="${SPLUNK_USERNAME:-wm-test}"
  export SPLUNK_PASSWORD="${SPLUNK_PASSWORD:-wm-test-password}"
  WM_PORT="$port" WM_HOST=127.0.0.1 WM_DATA_DIR="$SERVER_DATA" \
    WM_NFS_PORT="$nfs_port" WM_NFS_MOUNT_PORT="$mount_port" \
    node "$main" >"$SERVER_LOG" 2>&1 </dev/null &
  SERVER_PID=$!
  for _ in $(seq 60); do
    if curl -fsS --max-time 2 "$url/health" >/dev/null 2>&1; then
      log "server: healthy after $(($(date +%s) - t0))s"
      export WORKSPACE_API_URL="$url" WM_TEST_API_URL="$url"
      record server ok - - - "$(($(date +%s) - t0))" "$url"
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server: exited before answering /health"
      break
    fi
    sleep 0.5
  done
  log "server: no healthy answer from $url/health within 30s"
  record server FAILED - - - "$(($(date +%s) - t0))" "no /health"
  return 1
}

print_summary() {
  local row name status p f s secs note
  printf '\n%-16s %-7s %7s %7s %7s %6s  %s\n' SUITE STATUS PASSED FAILED SKIPPED TIME NOTE
  printf '%s\n' "--------------------------------------------------------------------------"
  for row in "${rows[@]}"; do
    IFS='|' read -r name status p f s secs note <<<"$row"
    printf '%-16s %-7s %7s %7s %7s %5ss  %s\n' "$name" "$status" "$p" "$f" "$s" "$secs" "$note"
  done
  printf '%s\n' "--------------------------------------------------------------------------"
}

# ---- run ------------------------------------------------------------------------

t_start=$(date +%s)
suite bootstrap - run_bootstrap

suite eslint - run_eslint
suite prettier - run_prettier
suite tsc - run_tsc

if [ -f agent/go.mod ]; then
  suite gofmt - run_gofmt
  suite go-vet - run_govet
  suite go-test go run_gotest
else
  log "go: agent/go.mod not there yet; no Go suites"
fi

# Live suites: the Node and Python suites read WM_TEST_API_URL and run their
# live tests against this server; without one they still run their unit tests.
server_up=0
start_server && server_up=1

suite node-tests node run_node_tests

if [ -f python/pyproject.toml ]; then
  suite ruff-check - run_ruff_check
  suite ruff-format - run_ruff_format
  suite mypy - run_mypy
  suite pytest pytest run_pytest
else
  log "python: python/pyproject.toml not there yet; no Python suites"
fi

if [ "$server_up" = 1 ]; then
  suite examples examples run_examples
  suite schemathesis schemathesis run_schemathesis
  if [ -n "$ACCEPTANCE_DIR" ]; then
    suite acceptance acceptance run_acceptance
  else
    log "acceptance: WM_ACCEPTANCE_DIR not set; outside acceptance examples not run"
  fi
else
  record examples FAILED - - - 0 "no server"
  record schemathesis FAILED - - - 0 "no server"
fi

stop_server
suite bench-smoke - run_bench_smoke
suite dashboard node run_dashboard
suite replicas node run_replicas
if [ "${WM_SKIP_K8S:-}" = 1 ]; then
  # Only an explicit choice skips it, and the summary says so.
  record k8s skipped - - - 0 "WM_SKIP_K8S=1"
  log "k8s: skipped because WM_SKIP_K8S=1"
elif [ -d packages/server/test/kubernetes ]; then
  suite k8s node run_k8s
fi
[ "$any_failed" = 0 ] || dump_server_log
print_summary
log "total time $(($(date +%s) - t_start))s"
if [ "$any_failed" != 0 ]; then
  failed_names=()
  for row in "${rows[@]}"; do
    IFS='|' read -r name status _ <<<"$row"
    [ "$status" = ok ] || failed_names+=("$name")
  done
  log "FAILED suites: ${failed_names[*]}"
fi
echo "tests: $total_passed passed, $total_failed failed"
[ "$any_failed" = 0 ]
