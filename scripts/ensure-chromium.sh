#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser tests, once: it is the only browser this
# project's machines can get (no browser downloads). Idempotent and quiet when already there.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  # Fail loudly: the HTML report tests need a browser, and skipping them would pass untested.
  echo "ensure-chromium: chromium is missing and this user cannot install it (not root, no sudo): run 'apt-get install chromium' as root" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium (once) for the HTML report tests" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1
