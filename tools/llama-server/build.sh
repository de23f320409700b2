#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` from the llama.cpp source that node-llama-cpp ships in its npm
# package (llama/gitRelease.bundle), so no network is needed. The binary is cached outside the clone,
# keyed by the llama.cpp commit:
#   ${FLOTILLA_CACHE_DIR:-$HOME/.cache/flotilla}/llama-server/<commit>/llama-server
# A cached binary is reused. The last line on stdout is always the binary's path.
#
# Options (environment):
#   FLOTILLA_CACHE_DIR   cache root (default $HOME/.cache/flotilla)
#   LLAMA_SERVER_JOBS    parallel compile jobs (default 2)
#   LLAMA_SERVER_REBUILD=1  ignore the cached binary and build again
set -euo pipefail

# One function, parsed whole before it runs: bash reads a script as it executes it, so an
# edit or a checkout during a build must not change what the running build does.
main() {
  SETUP_LINE='bash tools/setup-system.sh'
  repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  pkg_llama="$repo_root/node_modules/node-llama-cpp/llama"
  bundle="$pkg_llama/gitRelease.bundle"
  jobs="${LLAMA_SERVER_JOBS:-2}"

  log() { echo "[llama-server] $*" >&2; }
  die() { echo "[llama-server] error: $*" >&2; exit 1; }

  [ -f "$bundle" ] || die "no llama.cpp source bundle at $bundle (is node-llama-cpp installed? run npm ci)"
  command -v git >/dev/null 2>&1 || die "git is missing. Install the system packages with: $SETUP_LINE"

  # The bundle holds exactly one head: the llama.cpp commit node-llama-cpp's release was built from.
  # (The release tag itself is in llama/llama.cpp.info.json; the tag alone does not pin the source.)
  commit="$(git bundle list-heads "$bundle" | awk 'NR==1 {print $1}')"
  [[ "$commit" =~ ^[0-9a-f]{40}$ ]] || die "could not read the commit from $bundle"
  tag="$(node -e 'try{process.stdout.write(require(process.argv[1]).tag||"")}catch{}' "$pkg_llama/llama.cpp.info.json" 2>/dev/null || true)"

  cache_root="${FLOTILLA_CACHE_DIR:-$HOME/.cache/flotilla}"
  out_dir="$cache_root/llama-server/$commit"
  binary="$out_dir/llama-server"

  if [ -x "$binary" ] && [ "${LLAMA_SERVER_REBUILD:-0}" != 1 ]; then
    log "cached binary for llama.cpp ${tag:+$tag }$commit: $binary"
    echo "$binary"
    exit 0
  fi

  missing=()
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v make >/dev/null 2>&1 || command -v ninja >/dev/null 2>&1 || missing+=(make)
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing build tools: ${missing[*]}. Install the system packages with: $SETUP_LINE"
  fi

  mkdir -p "$out_dir"
  # One build per commit at a time: a second caller waits, then finds the cached binary.
  exec 9>"$out_dir/.lock"
  if command -v flock >/dev/null 2>&1; then
    if ! flock -n 9; then
      log "another build of this commit is running; waiting for $out_dir/.lock"
      flock 9
    fi
    if [ -x "$binary" ] && [ "${LLAMA_SERVER_REBUILD:-0}" != 1 ]; then
      log "cached binary for llama.cpp ${tag:+$tag }$commit: $binary"
      echo "$binary"
      exit 0
    fi
  fi

  work="$(mktemp -d "${TMPDIR:-/tmp}/flotilla-llama-server.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  start=$(date +%s)

  log "unpacking llama.cpp ${tag:+$tag }$commit from $bundle"
  git -c advice.detachedHead=false clone --quiet --no-checkout "$bundle" "$work/llama.cpp" >&2
  git -C "$work/llama.cpp" -c advice.detachedHead=false checkout --quiet "$commit" >&2

  # node-llama-cpp applies its own patches to this source before building; do the same so the server
  # runs the code the embedded engine runs. A patch already in the source is skipped, as it does.
  for patch in "$pkg_llama"/patches/*.diff; do
    [ -f "$patch" ] || continue
    if git -C "$work/llama.cpp" apply --ignore-whitespace --check "$patch" 2>/dev/null; then
      git -C "$work/llama.cpp" apply --ignore-whitespace "$patch"
      log "applied $(basename "$patch")"
    else
      log "skipped $(basename "$patch") (already in the source or does not apply)"
    fi
  done

  generator=()
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

  # No network: no curl/openssl, no web UI download, no tests/examples.
  # GGML_NATIVE=OFF: the cached binary may move to another runner, so build for the portable
  # x86-64 baseline ggml enables without -march=native instead of this CPU.
  log "configuring (cmake ${generator[*]})"
  cmake -S "$work/llama.cpp" -B "$work/build" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF \
    -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_USE_PREBUILT_UI=OFF \
    -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_SERVER=ON \
    -DGGML_NATIVE=OFF \
    -DGGML_BACKEND_DL=OFF \
    -DGGML_CCACHE=OFF \
    >"$work/configure.log" 2>&1 || { tail -n 40 "$work/configure.log" >&2; die "cmake configure failed"; }

  log "building target llama-server with -j$jobs (takes several minutes)"
  cmake --build "$work/build" --config Release --target llama-server -j "$jobs" >"$work/build.log" 2>&1 || {
    code=$?
    tail -n 60 "$work/build.log" >&2
    die "build failed (exit $code)"
  }

  built="$(find "$work/build" -type f -name llama-server -perm -u+x | head -n 1)"
  [ -n "$built" ] || die "the build finished but produced no llama-server binary"
  cp "$built" "$binary.tmp.$$"
  mv -f "$binary.tmp.$$" "$binary"
  printf '{"commit":"%s","tag":"%s","built":"%s","seconds":%d}\n' \
    "$commit" "$tag" "$(date -u +%FT%TZ)" "$(( $(date +%s) - start ))" >"$out_dir/build-info.json"

  log "built in $(( $(date +%s) - start ))s: $binary"
  echo "$binary"
}

main "$@"
