#!/usr/bin/env bash
# Installs the Debian 12 packages bitshares-stress needs, only those missing,
# and says which. Run as root (or with sudo available). Idempotent.
set -euo pipefail

PKGS=(
  build-essential pkg-config meson ninja-build python3
  clang libclang-rt-14-dev          # libFuzzer targets and the sanitizer build
  libsecp256k1-dev libssl-dev libwebsockets-dev libmsgpack-dev libzmq3-dev
  libjansson-dev libfyaml-dev libcmocka-dev
  iproute2                          # tests/test_netns.sh (ip netns)
  util-linux coreutils mawk         # timeout, setsid, unshare, awk: in every Debian, listed to be sure
  libmicrohttpd-dev                 # the overseer's dashboard (HTTP server)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
