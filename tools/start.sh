#!/usr/bin/env bash
# The README's main-job command (`npm start`): installs what is missing, brings the real local
# stack up (Kafka, schema registry, PostgreSQL), creates the topics and registers the schemas,
# and shows every part healthy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-deps.sh
node bin/earshot.js up
