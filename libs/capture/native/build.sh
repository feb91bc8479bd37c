#!/usr/bin/env bash
# Builds the earshot_pcap Node-API addon (earshot_pcap.c) into build/earshot_pcap.node with the C
# compiler alone: Node's headers come from the Node installation in use, libpcap from libpcap-dev.
# Nothing is downloaded. Rebuilds only when the output is missing or older than the source (or --force).
set -euo pipefail
cd "$(dirname "$0")"
src=earshot_pcap.c
out=build/earshot_pcap.node
if [ "${1:-}" != "--force" ] && [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt build.sh ]; then
  exit 0
fi
node_prefix="$(dirname "$(dirname "$(node -p process.execPath)")")"
include=""
for dir in "$node_prefix/include/node" /usr/include/node /usr/local/include/node \
  "${HOME:-/root}/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
  if [ -f "$dir/node_api.h" ]; then include="$dir"; break; fi
done
if [ -z "$include" ]; then
  echo "earshot_pcap: Node's headers (node_api.h) not found under $node_prefix/include/node or /usr/include/node" >&2
  exit 1
fi
if ! command -v "${CC:-cc}" >/dev/null 2>&1; then
  echo "earshot_pcap: no C compiler (${CC:-cc}): install gcc" >&2
  exit 1
fi
pcap_cflags="$(pcap-config --cflags 2>/dev/null || true)"
if ! echo '#include <pcap/pcap.h>' | ${CC:-cc} $pcap_cflags -E -x c - >/dev/null 2>&1; then
  echo "earshot_pcap: libpcap's headers not found: install libpcap-dev" >&2
  exit 1
fi
mkdir -p build
tmp="build/.earshot_pcap.$$.node"
${CC:-cc} -O2 -g -std=gnu11 -Wall -Wextra -Werror=implicit-function-declaration -fPIC -shared -pthread \
  -fvisibility=hidden -DNODE_GYP_MODULE_NAME=earshot_pcap -I"$include" $pcap_cflags \
  "$src" -o "$tmp" -lpcap
# Renamed into place so a process loading the addon never sees a half-written file.
mv -f "$tmp" "$out"
echo "earshot_pcap: built $(pwd)/$out (Node headers $include)"
