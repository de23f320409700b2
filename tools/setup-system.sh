#!/usr/bin/env bash
# The one setup line for the system packages the tests need (see README):
#   bash tools/setup-system.sh
# - cmake, g++, make, git (ninja-build when available): build llama.cpp's own llama-server
#   from the source bundle inside node-llama-cpp, for the integration tests
# - chromium (+ fonts): render the HTML run report in a real headless browser
# Installs only what is missing (Debian/Ubuntu apt); idempotent.
set -euo pipefail
declare -A packages=([cmake]=cmake [g++]=g++ [make]=make [git]=git [ninja]=ninja-build [chromium]="chromium fonts-liberation")
missing=()
for bin in "${!packages[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=(${packages[$bin]})
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (cmake, g++, make, git, ninja, chromium)"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
