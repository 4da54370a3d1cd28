#!/usr/bin/env bash
# Builds the static agent, agent/bin/wm-agent, the one way the project builds
# it (the bootstrap and scripts/build-agent-image.sh both call this): CGO off,
# so the binary runs as PID 1 of any image, libc or not. Its version is
# main.version, "dev" unless set with -ldflags "-X main.version=..."; read it
# back with `agent/bin/wm-agent --version`. Go's build cache makes a rebuild
# with nothing changed take about a second.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

have go || die "go is needed to build the agent"
cd "$WM_REPO_ROOT/agent"
CGO_ENABLED=0 go build -o bin/wm-agent ./cmd/wm-agent
log "go: built agent/bin/wm-agent ($(bin/wm-agent --version))"
