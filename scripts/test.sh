#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, then builds and tests three times:
#   build/ci    gcc, -Werror            suites: unit, timing, slow
#   build/asan  clang, -Werror, AddressSanitizer + UBSan (+ libFuzzer targets)
#                                       suites: unit, integration (but timing), fuzz
#   build/tsan  clang, -Werror, ThreadSanitizer
#                                       suite unit, test_threads, presign_cli
# Every integration test runs once, under the sanitizers, except those also
# in suite 'timing' (beacon_run: rates and lateness an optimised build
# gives), which run in the gcc build; the slow suite (every shipped
# scenario, the Docker image, network namespaces, the devnode network, the
# dashboard in a browser) runs the gcc build's programs end to end. Running
# the integration suite in both builds took 5 more minutes for no test the
# sanitizer build does not also run.
# and ends with the line "N passed, N failed, N skipped" (every TAP case
# counts; a skipped case is never counted as passed, and every skip is
# listed with its reason). The slow suite (Docker image, network namespaces,
# every shipped scenario) runs once; its container and namespace tests skip,
# saying why, when not root or when the kernel forbids them ("cannot run
# here: ..."). Under CI=true (.ci/run) any other skip of the slow suite on a
# machine where it can run (root, apt-get present) is a failure: see
# scripts/tally.py.
# Usage: scripts/test.sh [--quick]   (--quick: only the gcc build, no slow suite)
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh || exit 1

quick=0
[ "${1:-}" = "--quick" ] && quick=1
passed=0
failed=0
skipped=0
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

# tally DIR: adds the results of the last `meson test` in DIR (and names
# every skipped case with its reason).
tally() {
  local p f s
  read -r p f s < <(python3 scripts/tally.py --names "$1/meson-logs/testlog.json" || echo "0 1 0")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-1}))
  skipped=$((skipped + ${s:-0}))
}

# run NAME SUITES... [test:NAME...] [no:SUITE...] -- SETUP-ARGS...: with
# test:NAME arguments, runs every test of the SUITES plus those named ones;
# no:SUITE leaves out the tests of SUITE (only without test:NAME).
run() {
  local name=$1; shift
  local suites=() names=() sel=() nos=() s t
  while [ "$1" != "--" ]; do
    case $1 in test:*) names+=("${1#test:}") ;; no:*) nos+=(--no-suite "${1#no:}") ;;
               *) suites+=("$1") ;; esac
    shift
  done
  shift
  local dir=build/$name
  echo "== $name: configure and build"
  if ! setup "$dir" "$@" || ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    tail -n 60 "$dir.build.log" 2>/dev/null
    echo "== $name: BUILD FAILED (counted as one failure)"
    failed=$((failed + 1))
    return
  fi
  if [ ${#names[@]} -gt 0 ]; then
    for s in "${suites[@]}"; do
      while read -r t; do sel+=("$t"); done < <(meson test -C "$dir" --list --suite "$s" 2>/dev/null |
                                                sed -n 's/^.* \/ //p')
    done
    sel+=("${names[@]}")
  else
    for s in "${suites[@]}"; do sel+=(--suite "$s"); done
    sel+=("${nos[@]}")
  fi
  echo "== $name: test"
  meson test -C "$dir" "${sel[@]}" --print-errorlogs --num-processes "$jobs" \
    | grep -vE '^ *[0-9]+/[0-9]+ .* OK ' || true
  tally "$dir"
}

if [ $quick -eq 0 ]; then
  run ci unit timing slow -- -Dwerror=true --buildtype=debugoptimized
else
  run ci unit integration -- -Dwerror=true --buildtype=debugoptimized
fi
if [ $quick -eq 0 ]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  CC=clang run asan unit integration fuzz no:timing -- -Dwerror=true --buildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-sanitize-recover=all -Dfuzz=enabled
fi

# ThreadSanitizer (issue 14): the unit suite and the threaded tests
# (test_threads: pool producers, signer threads, the engine's sending,
# signing and tracking threads against a devnode; presign_cli: signing
# threads). Not the rest of the integration suite: TSan slows the beacon
# several times, so beacon_run's 2000 tx/s runs become beacon-bound and the
# overseer and report runs take minutes. Measured on 2 cores shared with
# other builds: a fresh build 66 s, the tests 61 s. libzmq's own threads are
# suppressed (scripts/tsan.supp).
if [ $quick -eq 0 ]; then
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp}
  CC=clang run tsan unit test:test_threads test:presign_cli -- -Dwerror=true \
    --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false -Dfuzz=disabled \
    -Dbenchmarks=disabled
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
