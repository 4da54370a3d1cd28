#!/usr/bin/env bash
# `npm start`: bootstrap (installs and builds whatever is missing), then runs the
# server in the foreground. The server reads its configuration from the
# environment (WM_HOST, WM_PORT, WM_DATA_DIR, ...; defaults 127.0.0.1:8080, ./data).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$WM_REPO_ROOT"

bash scripts/bootstrap.sh || die "bootstrap failed (see above); not starting the server"
main=packages/server/dist/main.js
[ -f "$main" ] || die "$main is missing after the build"
log "starting the server: node $main"
exec node "$main"
