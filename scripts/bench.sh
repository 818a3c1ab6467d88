#!/usr/bin/env bash
# Builds (release) and runs every benchmark, printing their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
meson test -C build/release --benchmark --verbose "$@"
