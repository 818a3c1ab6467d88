#!/usr/bin/env bash
# Builds the base image debian:bookworm-slim locally, the way the official
# image is built (Debian's debuerreotype), for machines that reach the Debian
# apt mirror but no container registry. Idempotent: does nothing when the
# image exists (--force rebuilds it). Installs debuerreotype if missing.
# The mirror and the apt sources are the machine's own.
#
# usage: scripts/docker-base.sh [--force]
# environment: ENGINE=docker (default) or podman; TAG (default debian:bookworm-slim)
set -euo pipefail

ENGINE=${ENGINE:-docker}
TAG=${TAG:-debian:bookworm-slim}
SUITE=bookworm
force=0
case ${1:-} in
  "") ;;
  --force) force=1 ;;
  -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "docker-base: unknown argument $1" >&2; exit 2 ;;
esac

if [ $force -eq 0 ] && timeout 60 "$ENGINE" image inspect "$TAG" >/dev/null 2>&1; then
  echo "docker-base: $TAG is present ($ENGINE)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-base: building $TAG needs root (debootstrap)" >&2
  exit 1
fi
if ! command -v debuerreotype-init >/dev/null || ! command -v debootstrap >/dev/null ||
   [ ! -s /usr/share/keyrings/debian-archive-keyring.gpg ]; then
  echo "docker-base: installing debuerreotype and debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends debuerreotype debootstrap \
    debian-archive-keyring >/dev/null
fi

# The machine's apt sources: deb822 (debian.sources) or one-line sources.list.
sources=""
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  if [ -s "$f" ] && grep -qE '^[^#]*(URIs:|deb )' "$f"; then sources=$f; break; fi
done
[ -n "$sources" ] || { echo "docker-base: no apt sources found in /etc/apt" >&2; exit 1; }
# The mirror of the main suite: the first URI that does not serve security.
if [ "${sources##*.}" = sources ]; then
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$sources" | grep -v security | head -n 1)
else
  mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' \
    "$sources" | grep -v security | head -n 1)
fi
[ -n "$mirror" ] || { echo "docker-base: no Debian mirror in $sources" >&2; exit 1; }

work=$(mktemp -d /var/tmp/docker-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
start=$(date +%s)
echo "docker-base: building $TAG from $mirror (log $work/build.log while it runs)"
# A subshell with -e of its own (a `{ } || handler` would switch -e off).
set +e
(
  set -euo pipefail
  timeout 900 debuerreotype-init --non-debian "$rootfs" "$SUITE" "$mirror"
  debuerreotype-minimizing-config "$rootfs"
  # The machine's sources (main, updates, security) replace debootstrap's
  # single line, so that the image gets the same packages as the host.
  rm -f "$rootfs/etc/apt/sources.list"
  cp "$sources" "$rootfs/etc/apt/${sources#/etc/apt/}"
  timeout 600 debuerreotype-apt-get "$rootfs" update -qq
  timeout 900 debuerreotype-apt-get "$rootfs" dist-upgrade -yqq
  debuerreotype-slimify "$rootfs"
  # Like the official image: no package lists inside (apt-get update first).
  rm -rf "$rootfs"/var/lib/apt/lists/*
  debuerreotype-tar "$rootfs" "$work/base.tar"
) >"$work/build.log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "docker-base: building the root file system failed; the end of its log:" >&2
  tail -n 30 "$work/build.log" >&2
  exit 1
fi

timeout 300 "$ENGINE" import --change 'CMD ["bash"]' "$work/base.tar" "$TAG" >/dev/null
echo "docker-base: $TAG imported ($(du -m "$work/base.tar" | cut -f1) MB tar, $(( $(date +%s) - start )) s)"
