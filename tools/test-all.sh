#!/usr/bin/env bash
# The README's test command (`npm test`), also run by CI: installs what is missing, checks types,
# lint and generated code, starts the real local stack if it is not running, runs every test
# (unit and integration) in one run, and stops the stack again if it started it.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
started_at=$(date +%s)
bash tools/ensure-deps.sh

echo "==> generated event types are up to date"
node -r @swc-node/register tools/generate-events.ts --check
echo "==> type check (tsc, strict)"
npx tsc -p tsconfig.json
echo "==> lint (module boundaries, purity of libs)"
npx nx show projects >/dev/null
npx eslint .

stack_started=0
if ! bash infra/local/stack status >/dev/null 2>&1; then
  bash infra/local/stack up
  stack_started=1
fi
cleanup() { if [ "$stack_started" = 1 ]; then bash infra/local/stack down || true; fi; }
trap cleanup EXIT
node -r @swc-node/register tools/topics.ts

echo "==> tests (unit and integration, against the real stack)"
node tools/test.mjs --all
echo "==> all checks passed in $(( $(date +%s) - started_at ))s"
