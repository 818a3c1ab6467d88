#!/usr/bin/env bash
# The Docker image end to end (TAP; suite 'slow'). Args: SRCDIR
#
# Starts an engine when none answers (scripts/docker-engine.sh), builds the
# base image locally (scripts/docker-base.sh), builds the project image from a
# clean copy of the tree (git's files only, no build trees), makes CurveZMQ
# keys with the image's keygen commands, then runs a devnode, the overseer and
# two beacon daemons in containers on host networking with loopback addresses
# only, a two-phase scenario (8 s of load), and checks the overseer's CSV
# counts against the devnode's. It removes every container it started and
# stops the dockerd it started (an engine that was already running is left
# alone). It keeps the images IMAGE and IMAGE's build-cache tag for the next
# run and prunes the untagged ones earlier runs left (the project's labels
# only). Every step is bounded by `timeout`.
#
# Skips when not root, when there is neither a docker CLI nor apt-get to
# install one, or ("cannot run here: ...") when the kernel refuses the
# namespaces containers need (nested in a container that forbids them). BSS_IMAGE names the image (default bitshares-stress:test).
set -u
SRC=$(cd "${1:?usage: test_docker.sh SRCDIR}" && pwd)
IMAGE=${BSS_IMAGE:-bitshares-stress:test}
RUN_ID=bss-test-$$

skip_all() { echo "1..1"; echo "ok 1 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "not root: starting a Docker engine and building images needs root"
command -v docker >/dev/null || command -v apt-get >/dev/null ||
  skip_all "no docker CLI and no apt-get to install the engine"
# Containers need namespaces: where the kernel (or the container this runs
# in) refuses them, no install can help, so that is a skip even under CI
# ("cannot run here:", see scripts/tally.py). An engine that is already
# running needs no probe.
if ! { command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; }; then
  if ! probe=$(unshare --mount --pid --net --uts --ipc --fork true 2>&1); then
    skip_all "cannot run here: the kernel refuses new namespaces, so no container can start (unshare: ${probe:-failed})"
  fi
fi

tmp=$(mktemp -d /var/tmp/test_docker.XXXXXX)
. "$(dirname "$0")/tap.sh"
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

# bail DESC LOG: a step the rest depends on failed; every remaining test fails.
bail() { notok "$1" "$2"; while [ $n -lt $PLAN ]; do notok "skipped: an earlier step failed"; done; exit 1; }
elapsed() { echo $(( $(date +%s) - $1 )); }

# --- containers -------------------------------------------------------------
# Every container: host networking (it talks over 127.0.0.0/8 only), only the
# files it needs mounted (keys read-only, one at a time), a short health
# interval so that the HEALTHCHECK is exercised.

# start NAME ENTRYPOINT [DOCKER-OPTION...] -- ARGS...: starts a detached
# container named RUN_ID-NAME.
start() {
  local name=$RUN_ID-$1 entry=$2 opts=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  containers+=("$name")
  timeout 60 docker run -d --name "$name" --network host \
    --health-interval 1s --health-start-period 1s \
    "${opts[@]}" --entrypoint "$entry" "$IMAGE" "$@" >"$tmp/${name#"$RUN_ID"-}.id" 2>"$tmp/${name#"$RUN_ID"-}.err"
}
# ro FILE: the docker option that mounts $tmp/keys/FILE read-only at /data/keys/FILE.
ro() { echo "--volume=$tmp/keys/$1:/data/keys/$1:ro"; }

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

# check DESC PYTHON [LOG...]: a TAP line from PYTHON, which sees `out` (the
# run's directory), `ts`, `bc`, `summary` (the rows of timeseries.csv,
# beacons.csv, summary.csv), `total(rows, col)` (a rate column times
# interval_s, summed: a count), `events`, `dn` (the devnode's JSON stats
# lines) and RC (the overseer container's exit status). The LOGs are shown
# when it fails.
check() {
  local desc=$1 code=$2; shift 2
  if RC=$rc python3 - "$tmp/out/run" "$tmp/devnode.log" >"$tmp/check.out" 2>&1 <<PY
import csv, json, os, sys
RC = int(os.environ["RC"])
out = sys.argv[1]
def rows(name):
    p = os.path.join(out, name)
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []
def text(p):
    return open(p).read() if os.path.exists(p) else ""
ts, bc, summary = rows("timeseries.csv"), rows("beacons.csv"), rows("summary.csv")
events = text(os.path.join(out, "events.log"))
dn = [json.loads(l) for l in text(sys.argv[2]).splitlines() if l.startswith("{")]
def total(rs, col):
    return round(sum(float(r[col] or 0) * float(r["interval_s"]) for r in rs))
$code
PY
  then ok "$desc"; sed 's/^/# /' "$tmp/check.out"
  else for f in "$@"; do tail -n 15 "$f" >>"$tmp/check.out" 2>/dev/null; done; notok "$desc" "$tmp/check.out"; fi
}

PLAN=11
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

# The image: a non-root user, its labels, the three programs run, no key inside.
{
  timeout 30 docker image inspect -f '{{.Config.User}} {{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}} {{json .Config.Entrypoint}}' "$IMAGE"
  timeout 60 docker run --rm --network none --entrypoint sh "$IMAGE" -c \
    'id -u; for p in beacon overseer devnode; do "$p" --version | head -n 1 || echo "$p: missing"; done
     find / -xdev -type f \( -name "*.key" -o -name "*.keys" -o -name "*.allow" \) -print 2>/dev/null'
} >"$tmp/image.txt" 2>&1
uid=$(sed -n 2p "$tmp/image.txt")
if [ -n "$uid" ] && [ "$uid" != 0 ] && grep -q "^[0-9]*:[0-9]* $version $revision \[\"beacon\"\]$" "$tmp/image.txt" &&
   grep -q "^beacon $version$" "$tmp/image.txt" && grep -q "^overseer $version$" "$tmp/image.txt" &&
   grep -q "^devnode $version$" "$tmp/image.txt" && ! grep -qE '\.(key|keys|allow)$' "$tmp/image.txt"; then
  ok "image: non-root (uid $uid), labelled $version, entry point beacon, beacon, overseer and devnode run, no key file inside"
else notok "image: non-root, labelled, entry point beacon, beacon, overseer and devnode run, no key file inside" "$tmp/image.txt"; fi

# --- keys -------------------------------------------------------------------
# Made by the image's own keygen commands as the image's user, as a user
# would on the control host and on each beacon host; the allowlist is the
# beacons' .pub files. The accounts (the devnode's public test keys) are
# mounted into the overseer only: it sends them to the beacons over CurveZMQ.
# Nothing in $tmp/keys is readable by anyone but the image's user.
cp "$SRC/devnode/test-accounts.keys" "$tmp/keys/accounts.keys"
chown -R "$uid:$uid" "$tmp/keys" "$tmp/out"
chmod 0700 "$tmp/keys"; chmod 0600 "$tmp/keys/accounts.keys"
{
  keygen() { timeout 60 docker run --rm --network none -v "$tmp/keys:/data/keys" \
               --entrypoint "$1" "$IMAGE" keygen "/data/keys/$2"; }
  keygen overseer overseer && keygen beacon beacon-1 && keygen beacon beacon-2 &&
  cat "$tmp/keys/beacon-1.pub" "$tmp/keys/beacon-2.pub" >"$tmp/keys/beacons.allow" &&
  chown "$uid:$uid" "$tmp/keys/beacons.allow" && chmod 0600 "$tmp/keys/beacons.allow" &&
  ls -ln "$tmp/keys"
} >"$tmp/keys.log" 2>&1
if [ $? -eq 0 ] && [ "$(stat -c '%a %u' "$tmp/keys/overseer.key" "$tmp/keys/beacon-1.key" "$tmp/keys/beacon-2.key" | sort -u)" = "600 $uid" ] &&
   [ "$(grep -c '^public ' "$tmp/keys/beacons.allow")" -eq 2 ]; then
  ok "overseer keygen and beacon keygen in the image: secret keys 0600, owned by uid $uid; an allowlist of 2 beacons"
else bail "overseer keygen and beacon keygen in the image" "$tmp/keys.log"; fi

# --- the run ----------------------------------------------------------------
# A devnode, the overseer (CurveZMQ, only the allowlisted beacons), and two
# beacon daemons that dial it: beacon-1 configured with flags, beacon-2 with
# the environment variables and no arguments. Each beacon container sees its
# own secret key and the overseer's public key, nothing else.
if start devnode devnode "$(ro accounts.keys)" -- --listen 127.0.0.1:0 \
     --accounts /data/keys/accounts.keys --block-interval 0.5 --stats-json --quiet &&
   devnode_url devnode; then
  ok "devnode container listens on $url"
else bail "devnode container listens" "$tmp/devnode.log"; fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/scenario"
# Two phases, 8 s of load (640 transactions), 3 s of drain after each.
cat >"$tmp/scenario/docker.yaml" <<YAML
name: docker-test
nodes: [$url]
accounts: /data/keys/accounts.keys
beacons: 2
on_beacon_lost: abort
defaults: {mix: {transfer: 70, limit_order: 30}, drain: 3}
phases:
  - {name: ramp, duration: 4, rate: {ramp: [20, 100]}}
  - {name: steady, duration: 4, rate: 100}
YAML
chmod -R a+rX "$tmp/scenario"
t=$(date +%s)
start overseer overseer "$(ro overseer.key)" "$(ro beacons.allow)" "$(ro accounts.keys)" \
  -v "$tmp/scenario:/data/scenario:ro" -v "$tmp/out:/data/out" -- \
  run /data/scenario/docker.yaml --out /data/out/run --bind "tcp://127.0.0.1:$port" \
  --key /data/keys/overseer.key --allow /data/keys/beacons.allow --beacons 2 --wait 60 --quiet
start beacon-1 beacon "$(ro overseer.pub)" "$(ro beacon-1.key)" -- \
  --overseer "tcp://127.0.0.1:$port" --overseer-key /data/keys/overseer.pub \
  --key /data/keys/beacon-1.key --id beacon-1
start beacon-2 beacon "$(ro overseer.pub)" "$(ro beacon-2.key)" \
  -e "BEACON_OVERSEER=tcp://127.0.0.1:$port" -e BEACON_OVERSEER_KEY=/data/keys/overseer.pub \
  -e BEACON_KEY=/data/keys/beacon-2.key -e BEACON_ID=beacon-2 --
finish overseer 150
run_s=$(elapsed "$t")

# The devnode container ran its HEALTHCHECK (every second here) as the image's user.
health=$(timeout 10 docker inspect -f '{{.State.Health.Status}}' "$RUN_ID-devnode" 2>/dev/null)
timeout 10 docker inspect -f '{{json .State.Health}}' "$RUN_ID-devnode" >"$tmp/health.json" 2>&1
# SIGTERM: the devnode writes its last, partial second of stats; the beacon
# daemons, idle since the overseer left, end cleanly.
stopped=""
for c in devnode beacon-1 beacon-2; do
  timeout 30 docker stop -t 10 "$RUN_ID-$c" >/dev/null 2>&1
  timeout 30 docker logs "$RUN_ID-$c" >"$tmp/$c.log" 2>&1
  stopped="$stopped $c:$(timeout 10 docker inspect -f '{{.State.ExitCode}}' "$RUN_ID-$c" 2>/dev/null)"
done

check "the overseer container runs the scenario with both beacons and writes every result file (exit $rc, $run_s s)" '
assert RC == 0, ("exit status", RC)
for f in ("timeseries.csv", "beacons.csv", "summary.csv", "events.log", "manifest.json"):
    assert os.path.getsize(os.path.join(out, f)) > 0, f
assert events.count("accepted beacon key") == 2, events
for b in ("beacon-1", "beacon-2"):
    assert f"beacon {b} joined from 127.0.0.1" in events, events
assert "run completed" in events and " lost" not in events, events
assert [r["phase"] for r in summary] == ["ramp", "steady"], summary
assert {r["beacons_alive"] for r in ts} == {"2"}, [r["beacons_alive"] for r in ts]' \
  "$tmp/overseer.log" "$tmp/beacon-1.log" "$tmp/beacon-2.log"

check "timeseries.csv: confirmed == accepted == sent == offered (640 due) == what the devnode accepted and applied" '
c = {k: total(ts, k + "_tps") for k in ("offered", "sent", "accepted", "confirmed", "rejected", "timeouts", "dropped", "lost")}
node = {k: sum(d[k] for d in dn) for k in ("accepted", "applied_tx", "rejected")}
assert abs(c["offered"] - 640) <= 4, c
assert c["confirmed"] == c["accepted"] == c["sent"] == c["offered"], c
assert c["rejected"] == c["timeouts"] == c["dropped"] == c["lost"] == 0, c
assert node["accepted"] == node["applied_tx"] == c["accepted"] and node["rejected"] == 0, (node, c)
print("overseer:", c); print("devnode:", node)' "$tmp/devnode.log" "$tmp/overseer.log"

check "beacons.csv: both beacons took part (each confirmed its share) and their rows add up to the time series" '
ids = sorted({r["beacon"] for r in bc})
assert ids == ["beacon-1", "beacon-2"], ids
per = {b: total([r for r in bc if r["beacon"] == b], "confirmed_tps") for b in ids}
assert all(v >= 250 for v in per.values()), per
assert sum(per.values()) == total(ts, "confirmed_tps"), (per, total(ts, "confirmed_tps"))
print("confirmed per beacon:", per)'

if [ "$health" = healthy ]; then ok "HEALTHCHECK reports the devnode container healthy"
else notok "HEALTHCHECK reports the devnode container healthy (is: $health)" "$tmp/health.json"; fi

if [ "$stopped" = " devnode:0 beacon-1:0 beacon-2:0" ]; then
  ok "docker stop ends the devnode and both beacon daemons cleanly (exit 0)"
else notok "docker stop ends the devnode and both beacon daemons cleanly (exit status:$stopped)" \
  "$tmp/beacon-1.log"; fi

exit $((bad > 0))
