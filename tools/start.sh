#!/usr/bin/env bash
# The README's main-job command (`npm start`): installs what is missing, brings the real local
# stack up (Kafka, schema registry, PostgreSQL), creates the topics and registers the schemas,
# then records the calls of a sample capture the project generates: recordings-out/<call id>.wav
# and recordings-out/manifest.json; then starts the web console and prints its address.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-deps.sh
node bin/earshot.js up
mkdir -p recordings-out
node bin/earshot.js sample recordings-out/sample-calls.pcap
node bin/earshot.js record recordings-out/sample-calls.pcap --out recordings-out
node bin/earshot.js console --recordings recordings-out/recordings
