#!/usr/bin/env bash
# Installs Debian's Chromium, the browser the dashboard suite
# (scripts/run-dashboard.sh) drives headless through playwright-core at
# /usr/bin/chromium: no browser is downloaded by npm. Idempotent; a no-op
# when it is installed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if deb_installed chromium && [ -x /usr/bin/chromium ]; then
  log "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi

apt_install chromium
log "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
