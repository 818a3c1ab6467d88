#!/usr/bin/env bash
# The Docker image end to end (TAP; suite 'slow'). Args: SRCDIR
#
# Starts an engine when none answers (scripts/docker-engine.sh), builds the
# base image locally (scripts/docker-base.sh), builds the project image from a
# clean copy of the tree (git's files only, no build trees), then runs the
# scenario below in containers on host networking with loopback addresses
# only, and checks its counts. It removes every container it started and
# stops the dockerd it started (an engine that was already running is left
# alone). It keeps the images IMAGE and IMAGE's build-cache tag for the next
# run and prunes the untagged ones earlier runs left (the project's labels
# only). Every step is bounded by `timeout`.
#
# Skips when not root, or when there is neither a docker CLI nor apt-get to
# install one. BSS_IMAGE names the image (default bitshares-stress:test).
set -u
SRC=$(cd "${1:?usage: test_docker.sh SRCDIR}" && pwd)
IMAGE=${BSS_IMAGE:-bitshares-stress:test}
RUN_ID=bss-test-$$

skip_all() { echo "1..1"; echo "ok 1 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "not root: starting a Docker engine and building images needs root"
command -v docker >/dev/null || command -v apt-get >/dev/null ||
  skip_all "no docker CLI and no apt-get to install the engine"

tmp=$(mktemp -d /var/tmp/test_docker.XXXXXX)
containers=()
dockerd_pid=""
cleanup() {
  local c
  for c in "${containers[@]}"; do timeout 30 docker rm -f "$c" >/dev/null 2>&1; done
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$dockerd_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && sed 's/^/# /' "$2" | tail -n 30; }
# bail DESC LOG: a step the rest depends on failed; every remaining test fails.
bail() { notok "$1" "$2"; while [ $n -lt $PLAN ]; do notok "skipped: an earlier step failed"; done; exit 1; }
elapsed() { echo $(( $(date +%s) - $1 )); }

# --- containers -------------------------------------------------------------
# Every container: host networking (it talks over 127.0.0.0/8 only), the keys
# directory read-only at /data/keys, the output directory at /data/out, a
# short health interval so that the HEALTHCHECK is exercised.

# start NAME ENTRYPOINT ARGS...: starts a detached container named RUN_ID-NAME.
start() {
  local name=$RUN_ID-$1 entry=$2; shift 2
  containers+=("$name")
  timeout 60 docker run -d --name "$name" --network host \
    --health-interval 1s --health-start-period 1s \
    -v "$tmp/keys:/data/keys:ro" -v "$tmp/out:/data/out" \
    --entrypoint "$entry" "$IMAGE" "$@" >"$tmp/$1.id" 2>"$tmp/$1.err"
}

# finish NAME SECONDS: waits for the container to exit; sets rc (124 on
# timeout) and writes its output to $tmp/NAME.log.
finish() {
  rc=$(timeout "$2" docker wait "$RUN_ID-$1" 2>/dev/null) || rc=124
  timeout 30 docker logs "$RUN_ID-$1" >"$tmp/$1.log" 2>&1
}

# devnode_url NAME: waits (10 s) for a devnode container's listening line; sets url.
devnode_url() {
  url=""
  for _ in $(seq 100); do
    url=$(timeout 10 docker logs "$RUN_ID-$1" 2>/dev/null | sed -n 's/^listening on //p')
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  timeout 10 docker logs "$RUN_ID-$1" >"$tmp/$1.log" 2>&1
  return 1
}

# check NAME DESC PYTHON: PYTHON sees `rows` ($tmp/out/NAME.jsonl), `tot`
# (their sums), `log` and RC (the container's exit status).
check() {
  local name=$1 desc=$2 code=$3
  if RC=$rc python3 - "$tmp/out/$name.jsonl" "$tmp/$name.log" >"$tmp/$name.check" 2>&1 <<PY
import json, os, sys
RC = int(os.environ["RC"])
rows = [json.loads(l) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
log = open(sys.argv[2]).read() if os.path.exists(sys.argv[2]) else ""
keys = ['offered', 'sent', 'accepted', 'confirmed', 'timeouts', 'conn_errors', 'lost',
        'rejected_total', 'dropped']
tot = {k: sum(r[k] for r in rows) for k in keys}
$code
print("$name:", " ".join(f"{k} {v}" for k, v in tot.items()))
PY
  then ok "$desc"; sed 's/^/# /' "$tmp/$name.check"; else cat "$tmp/$name.log" >>"$tmp/$name.check" 2>/dev/null; notok "$desc" "$tmp/$name.check"; fi
}

PLAN=7
echo "1..$PLAN"

# --- engine, base image, project image --------------------------------------
t=$(date +%s)
if timeout 900 bash "$SRC/scripts/docker-engine.sh" --pidfile "$tmp/dockerd.pid" >"$tmp/engine.log" 2>&1; then
  [ -s "$tmp/dockerd.pid" ] && dockerd_pid=$(cat "$tmp/dockerd.pid")
  ok "a Docker engine answers ($([ -n "$dockerd_pid" ] && echo "dockerd $dockerd_pid started by this test" || echo "already running"), $(elapsed "$t") s)"
else
  [ -s "$tmp/dockerd.pid" ] && dockerd_pid=$(cat "$tmp/dockerd.pid")
  bail "a Docker engine answers" "$tmp/engine.log"
fi

t=$(date +%s)
if timeout 1200 bash "$SRC/scripts/docker-base.sh" >"$tmp/base.log" 2>&1; then
  ok "base image debian:bookworm-slim present or built locally ($(elapsed "$t") s)"
else bail "base image debian:bookworm-slim present or built locally" "$tmp/base.log"; fi

# The context is a copy of git's files (tracked, and new ones not ignored):
# what a clean checkout has, whatever build trees or output lie around.
mkdir -p "$tmp/context" "$tmp/keys" "$tmp/out"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
     tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tmp/context"
  revision=$(git -C "$SRC" rev-parse HEAD)
else
  (cd "$SRC" && tar --exclude=./build --exclude=./out --exclude=./.git -cf - .) | tar -xf - -C "$tmp/context"
  revision=unknown
fi
version=$(sed -n "s/^ *version: '\([^']*\)',*$/\1/p" "$SRC/meson.build" | head -n 1)
t=$(date +%s)
if timeout 1800 docker build --network host --pull=false --force-rm -t "$IMAGE" \
     --build-arg VERSION="$version" --build-arg REVISION="$revision" \
     "$tmp/context" >"$tmp/build.log" 2>&1; then
  ok "project image builds from a clean copy of the tree ($(elapsed "$t") s)"
else bail "project image builds from a clean copy of the tree" "$tmp/build.log"; fi
# Keep the build stage as tagged cache for the next run, and remove what
# earlier runs left untagged (each build of another tree leaves a ~600 MB
# build stage and, once retagged, the previous image).
timeout 300 docker build --network host --pull=false --force-rm --target build \
  -t "${IMAGE%:*}:build-cache" "$tmp/context" >>"$tmp/build.log" 2>&1
timeout 120 docker image prune -f --filter label=org.bitshares-stress.stage=build >/dev/null 2>&1
timeout 120 docker image prune -f --filter label=org.opencontainers.image.title=bitshares-stress >/dev/null 2>&1
size=$(timeout 30 docker image inspect -f '{{.Size}}' "$IMAGE")
echo "# image $IMAGE: $((size / 1000000)) MB (base $(( $(timeout 30 docker image inspect -f '{{.Size}}' debian:bookworm-slim) / 1000000 )) MB)"

# The image: a non-root user, its labels, every program loads, no key inside.
{
  timeout 30 docker image inspect -f '{{.Config.User}} {{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}} {{json .Config.Entrypoint}}' "$IMAGE"
  timeout 60 docker run --rm --network none --entrypoint sh "$IMAGE" -c \
    'id -u; for p in beacon devnode overseer; do command -v $p >/dev/null || continue; "$p" --version | head -n 1; done
     find / -xdev -type f \( -name "*.key" -o -name "*.keys" -o -name "*.allow" \) -print 2>/dev/null'
} >"$tmp/image.txt" 2>&1
uid=$(sed -n 2p "$tmp/image.txt")
if [ -n "$uid" ] && [ "$uid" != 0 ] && grep -q "^[0-9]*:[0-9]* $version $revision \[\"beacon\"\]$" "$tmp/image.txt" &&
   grep -q "^beacon $version$" "$tmp/image.txt" && grep -q "^devnode" "$tmp/image.txt" &&
   ! grep -qE '\.(key|keys|allow)$' "$tmp/image.txt"; then
  ok "image: non-root (uid $uid), labelled $version, entry point beacon, programs run, no key file inside"
else notok "image: non-root, labelled, entry point beacon, programs run, no key file inside" "$tmp/image.txt"; fi

# Keys are mounted, never built in: the devnode test accounts (public test
# keys), readable only by the image's user, as a user's own keys would be.
cp "$SRC/devnode/test-accounts.keys" "$tmp/keys/accounts.keys"
chown -R "$uid:$uid" "$tmp/keys" "$tmp/out"
chmod 0700 "$tmp/keys"; chmod 0600 "$tmp/keys/accounts.keys"

# --- the scenario -----------------------------------------------------------
# Today: one devnode container and one standalone `beacon run` container.
# With the overseer: start `overseer run SCENARIO --insecure --bind
# tcp://127.0.0.1:PORT --beacons 2 --out /data/out` (start NAME overseer ...),
# two `beacon --overseer tcp://127.0.0.1:PORT --insecure` containers, then
# finish the overseer and check out/<run>/summary.csv instead of the JSON lines.
if start devnode devnode --listen 127.0.0.1:0 --accounts /data/keys/accounts.keys \
     --block-interval 0.5 --quiet && devnode_url devnode; then
  ok "devnode container listens on $url"
else bail "devnode container listens" "$tmp/devnode.log"; fi

t=$(date +%s)
start beacon-1 beacon run --node "$url" --accounts /data/keys/accounts.keys --rate 50 --duration 5 \
  --drain 5 --quiet --stats-json /data/out/beacon-1.jsonl
finish beacon-1 60
check beacon-1 "beacon container, 50 tx/s for 5 s: every offered transaction sent, accepted and confirmed ($(elapsed "$t") s)" '
assert RC == 0, ("exit status", RC)
assert abs(tot["offered"] - 250) <= 5, tot
assert tot["sent"] == tot["offered"] and tot["accepted"] == tot["sent"], tot
assert tot["confirmed"] == tot["accepted"], tot
assert tot["rejected_total"] == 0 and tot["lost"] == 0 and tot["conn_errors"] == 0, tot'

# The devnode container ran its HEALTHCHECK (every second here) as the image's user.
health=""
for _ in $(seq 50); do
  health=$(timeout 10 docker inspect -f '{{.State.Health.Status}}' "$RUN_ID-devnode" 2>/dev/null)
  [ "$health" = healthy ] && break
  sleep 0.2
done
timeout 10 docker inspect -f '{{json .State.Health}}' "$RUN_ID-devnode" >"$tmp/health.json" 2>&1
if [ "$health" = healthy ]; then ok "HEALTHCHECK reports the devnode container healthy"
else notok "HEALTHCHECK reports the devnode container healthy (is: $health)" "$tmp/health.json"; fi

exit $((bad > 0))
