#!/usr/bin/env bash
# The README's main-job command (`npm start`): installs what is missing, brings the whole system up
# live on the loopback interface in the background (`earshot run --detach`: the local stack, call
# control, the RTP collector, recorder, converter and the web console, each supervised), prints the
# console's address, then drives a bounded demo load with sipp (20 concurrent two-way calls for two
# minutes) so the calls appear in the console as they happen. The system keeps running afterwards:
# `npx earshot status` shows it, `npx earshot down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-deps.sh
node bin/earshot.js run --detach --interface lo
node bin/earshot.js demo --concurrent "${EARSHOT_DEMO_CONCURRENT:-20}" --minutes "${EARSHOT_DEMO_MINUTES:-2}"
echo
node bin/earshot.js status
echo
echo "Earshot keeps running and recording lo: 'npx earshot demo' places more calls, 'npx earshot down' stops everything."
