#!/usr/bin/env bash
# Makes the native addons that are built against one Node's ABI (not N-API) loadable by
# the `node` first on PATH: a build for that ABI is taken from the cache, or rebuilt from
# source against that Node's headers (npm_config_nodedir) and cached. N-API addons
# (node-llama-cpp, swc, the resolver) work on every Node and are left alone.
#   bash tools/ci/native-addons.sh [nodedir]
set -euo pipefail
nodedir="${1:-}"
cache="${FLOTILLA_CACHE:-$HOME/.cache/flotilla}/addons"
mkdir -p "$cache"
abi=$(node -p 'process.versions.modules')
for addon in better-sqlite3; do
  dir="node_modules/$addon"
  [ -d "$dir" ] || continue
  version=$(node -p "require('./$dir/package.json').version")
  built="$dir/build/Release/better_sqlite3.node"
  cached="$cache/$addon-$version-abi$abi.node"
  if node -e "require('./$dir')(':memory:')" 2>/dev/null; then
    [ -f "$cached" ] || cp "$built" "$cached"
  elif [ -f "$cached" ]; then
    cp "$cached" "$built"
  else
    echo "native addons: building $addon $version for Node $(node --version) (ABI $abi)"
    npm_config_nodedir="$nodedir" npm rebuild "$addon" --no-audit --no-fund >/dev/null
    cp "$built" "$cached"
  fi
  node -e "require('./$dir')(':memory:')" || { echo "native addons: $addon does not load on Node $(node --version)"; exit 1; }
done
