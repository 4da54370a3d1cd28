#!/usr/bin/env bash
# Installs and builds everything the project needs to run and test, skipping
# what is already there: npm packages, the TypeScript build, the Python SDK's
# venv, the Go agent, a Docker engine, the test template image and the Splunk
# stand-in template built on it, the NFS server packages (NFS-Ganesha; the
# server runs it, see scripts/ensure-nfs.sh), and HAProxy (the replica suite's
# load balancer, deploy/haproxy.cfg; see scripts/ensure-haproxy.sh), and
# PostgreSQL (the store replicas share; tests run their own clusters; see
# scripts/ensure-postgres.sh), and the single-node Kubernetes test cluster's
# packages and binaries (scripts/ensure-k8s.sh; cold about 5 minutes of
# compiling, cached in $WM_K8S_DIR, default /var/lib/wm-k8s), and a loop-mounted
# btrfs with quotas on at /var/lib/wm-quota for the workspace quota tests
# (scripts/ensure-quota-fs.sh).
#
# Env: WM_SKIP_DOCKER=1 skips the Docker engine and template steps;
# WM_SKIP_NFS=1 skips the NFS packages (the server then runs with NFS off);
# WM_SKIP_K8S=1 skips the Kubernetes test cluster's packages and build.
# Every step runs even when an earlier one failed (so one run shows every
# problem); the script exits non-zero if any step failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$WM_REPO_ROOT"

failed_steps=()

# step NAME FUNCTION: runs FUNCTION with errexit on in a subshell, times it.
step() {
  local name="$1" fn="$2" t0 rc
  t0=$(now)
  set +e
  (
    set -e
    "$fn"
  )
  rc=$?
  set -e
  if [ "$rc" = 0 ]; then
    log "step $name: ok ($(elapsed "$t0"))"
  else
    log "step $name: FAILED with exit code $rc ($(elapsed "$t0"))"
    failed_steps+=("$name")
  fi
}

# True when $1 is missing or older than any of the remaining paths.
stale() {
  local target="$1" src
  shift
  [ -e "$target" ] || return 0
  for src; do
    [ -e "$src" ] && [ "$src" -nt "$target" ] && return 0
  done
  return 1
}

npm_deps() {
  local marker=node_modules/.package-lock.json
  if [ ! -d node_modules ]; then
    if [ -f package-lock.json ]; then
      log "npm: node_modules missing; npm ci"
      npm ci --no-audit --no-fund
    else
      log "npm: node_modules missing; npm install"
      npm install --no-audit --no-fund
    fi
  elif stale "$marker" package.json package-lock.json packages/*/package.json; then
    log "npm: package.json or package-lock.json changed; npm install"
    npm install --no-audit --no-fund
  else
    log "npm: node_modules up to date"
    return 0
  fi
  # npm may rewrite package-lock.json after its hidden lockfile; keep the marker
  # newest so the next run is a no-op.
  touch "$marker"
}

ts_build() {
  if ! npm run --silent build; then
    log "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    log "!!! TypeScript build FAILED (npm run build = tsc -b); see errors above"
    log "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    return 1
  fi
}

python_sdk() {
  if [ ! -f python/pyproject.toml ]; then
    log "python: python/pyproject.toml not there yet; skipping the Python SDK"
    return 0
  fi
  local venv=python/.venv stamp=python/.venv/.wm-installed
  if [ ! -x "$venv/bin/python" ]; then
    have python3 || die "python3 is needed for the Python SDK"
    log "python: creating $venv"
    python3 -m venv "$venv"
  fi
  if stale "$stamp" python/pyproject.toml; then
    log "python: pip install -e 'python[dev]'"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e 'python[dev]'
    touch "$stamp"
  else
    log "python: venv up to date"
  fi
}

go_agent() {
  if [ ! -f agent/go.mod ]; then
    log "go: agent/go.mod not there yet; skipping the agent"
    return 0
  fi
  if [ ! -d agent/cmd/wm-agent ]; then
    log "go: agent/cmd/wm-agent not there yet; skipping the agent binary"
    return 0
  fi
  bash scripts/build-agent.sh
}

# The agent image the Kubernetes runtime's init container copies the agent
# from; a fast no-op when it already holds this very binary.
agent_image() { bash scripts/build-agent-image.sh >/dev/null; }

gvisor_runsc() { bash scripts/ensure-gvisor.sh; }
docker_engine() { bash scripts/ensure-docker.sh; }
nfs_server() { bash scripts/ensure-nfs.sh; }
test_template() { bash scripts/build-test-template.sh; }
splunk_standin() { bash scripts/build-splunk-standin.sh; }
haproxy_lb() { bash scripts/ensure-haproxy.sh; }
postgres_db() { bash scripts/ensure-postgres.sh; }
chromium_browser() { bash scripts/ensure-chromium.sh; }
k8s_cluster() { bash scripts/ensure-k8s.sh; }
quota_fs() { bash scripts/ensure-quota-fs.sh; }

total_start=$(now)
step npm npm_deps
step build ts_build
step python python_sdk
step go go_agent
if [ "${WM_SKIP_DOCKER:-}" = 1 ]; then
  log "WM_SKIP_DOCKER=1: skipping the Docker engine, test template and Splunk stand-in"
else
  step gvisor gvisor_runsc
  step docker docker_engine
  step template test_template
  step agent-image agent_image
  step splunk splunk_standin
fi
if [ "${WM_SKIP_NFS:-}" = 1 ]; then
  log "WM_SKIP_NFS=1: skipping the NFS server packages"
else
  step nfs nfs_server
fi
step quota-fs quota_fs
step haproxy haproxy_lb
step postgres postgres_db
step chromium chromium_browser
if [ "${WM_SKIP_K8S:-}" = 1 ]; then
  log "WM_SKIP_K8S=1: skipping the Kubernetes test cluster"
else
  step k8s k8s_cluster
fi

if [ "${#failed_steps[@]}" -gt 0 ]; then
  log "bootstrap FAILED in $(elapsed "$total_start"): ${failed_steps[*]}"
  exit 1
fi
log "bootstrap done in $(elapsed "$total_start")"
