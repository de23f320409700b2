#!/usr/bin/env bash
# The one setup line for system packages the tests need (see README). Idempotent.
# Today the default test run needs none beyond Node; later issues add cmake/g++/chromium here.
set -euo pipefail
needed=()
if [ ${#needed[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}"
fi
