#!/usr/bin/env bash
# Installs Debian's prometheus package (prometheus + promtool) for the end-to-end metrics test.
# Idempotent: does nothing when both binaries are already on PATH. The package does not start a
# service inside a container, and the e2e test runs its own instance anyway.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
# Root in CI containers; elsewhere go through sudo, which may ask for a password.
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends prometheus
command -v prometheus >/dev/null && command -v promtool >/dev/null
