#!/usr/bin/env bash
# Installs what a fresh clone is missing: system packages and jars (tools/bootstrap.sh), then the
# npm dependencies, then the live-capture addon (libs/capture/native, built against libpcap-dev
# and the running Node's headers; rebuilt when missing or older than its C source).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: it installs the locked versions just the same, and this machine's
  # npm (omit-lockfile-registry-resolved) writes locks without other platforms' optional packages,
  # which `npm ci` refuses.
  echo "==> npm install (locked versions)"
  npm install --no-audit --no-fund
else
  echo "==> npm dependencies already installed"
fi
echo "==> live-capture addon (libs/capture/native)"
bash libs/capture/native/build.sh
