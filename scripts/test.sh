#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, then builds and tests twice:
#   build/ci    gcc, -Werror            suites: unit, integration, slow
#   build/asan  clang, -Werror, AddressSanitizer + UBSan (+ libFuzzer targets)
#                                       suites: unit, integration, fuzz
# and ends with the line "N passed, N failed" (every TAP case counts). The
# slow suite (Docker image, network namespaces, every shipped scenario)
# runs once; its container and namespace tests skip, saying why, when not
# root.
# Usage: scripts/test.sh [--quick]   (--quick: only the gcc build, no slow suite)
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh || exit 1

quick=0
[ "${1:-}" = "--quick" ] && quick=1
passed=0
failed=0
jobs=$(nproc 2>/dev/null || echo 2)

# setup DIR ARGS...: configure once, reconfigure after that.
setup() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
  else
    mkdir -p "$(dirname "$dir")"
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
  fi || { cat "$dir.setup.log"; return 1; }
}

# tally DIR: adds the results of the last `meson test` in DIR.
tally() {
  local counts
  counts=$(python3 scripts/tally.py "$1/meson-logs/testlog.json") || counts="0 1"
  passed=$((passed + ${counts% *}))
  failed=$((failed + ${counts#* }))
}

# run NAME SUITES... -- SETUP-ARGS...
run() {
  local name=$1; shift
  local suites=()
  while [ "$1" != "--" ]; do suites+=(--suite "$1"); shift; done
  shift
  local dir=build/$name
  echo "== $name: configure and build"
  if ! setup "$dir" "$@" || ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    tail -n 60 "$dir.build.log" 2>/dev/null
    echo "== $name: BUILD FAILED (counted as one failure)"
    failed=$((failed + 1))
    return
  fi
  echo "== $name: test"
  meson test -C "$dir" "${suites[@]}" --print-errorlogs --num-processes "$jobs" \
    | grep -vE '^ *[0-9]+/[0-9]+ .* OK ' || true
  tally "$dir"
}

if [ $quick -eq 0 ]; then
  run ci unit integration slow -- -Dwerror=true --buildtype=debugoptimized
else
  run ci unit integration -- -Dwerror=true --buildtype=debugoptimized
fi
if [ $quick -eq 0 ]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  CC=clang run asan unit integration fuzz -- -Dwerror=true --buildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-sanitize-recover=all -Dfuzz=enabled
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
