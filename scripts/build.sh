#!/usr/bin/env bash
# Installs what is missing and builds the programs into build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ -f build/release/build.ninja ]; then
  meson setup --reconfigure build/release --buildtype=release >/dev/null
else
  meson setup build/release --buildtype=release >/dev/null
fi
ninja -C build/release >/dev/null
echo "build: programs in build/release/{beacon,devnode}/"
