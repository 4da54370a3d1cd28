# shellcheck shell=bash
# The suites that run node's test runner on their own (replicas, k8s) report
# alike. Source it; do not run it.

# run_node_suite NAME START CMD...: runs CMD (a node --test run, spec reporter)
# showing its report, then prints `NAME: N passed, N failed, N skipped in Ns`
# (seconds since START, an epoch second) and succeeds only when CMD exited 0,
# no test failed and at least one ran.
run_node_suite() {
  local name="$1" start="$2" out rc pass fail skip
  shift 2
  out="$(mktemp "${TMPDIR:-/tmp}/wm-$name-run.XXXXXX")"
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  read -r pass fail skip < <(awk '
    /^(# |ℹ )pass [0-9]+$/ { p = $NF }
    /^(# |ℹ )fail [0-9]+$/ { f = $NF }
    /^(# |ℹ )(skipped|todo) [0-9]+$/ { s += $NF }
    END { printf "%d %d %d\n", p, f, s }' "$out")
  rm -f "$out"
  echo "$name: $pass passed, $fail failed, $skip skipped in $(($(date +%s) - start))s"
  [ "$rc" = 0 ] && [ "$fail" = 0 ] && [ "$pass" -gt 0 ]
}
