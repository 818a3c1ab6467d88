#!/usr/bin/env bash
# Many hosts without containers (TAP; suite 'slow'). Args: BEACON DEVNODE OVERSEER SRCDIR
#
# Every component gets a network namespace of its own with its own address on
# a private subnet that exists only inside the namespaces made here
# (10.213.0.0/24, a bridge in a "switch" namespace, one veth pair per host;
# nothing is added to the root namespace and nothing routes out of it):
#   sw   bridge br0
#   ov   overseer 10.213.0.1:7100 (CurveZMQ: keys made here, an allowlist)
#   dn1  devnode 10.213.0.11     b1  beacon daemon 10.213.0.21
#   dn2  devnode 10.213.0.12     b2  beacon daemon 10.213.0.22
#                                b3  beacon daemon 10.213.0.23  (its link is cut)
# The overseer runs a two-phase scenario over both devnodes (each beacon gets
# accounts of its own from the overseer). Three seconds into the second
# phase's load b3's link is set down: the overseer must report b3 lost, go on with b1 and
# b2 (time series rows continue, beacons_alive 3 -> 2) and complete the run;
# b1's and b2's transactions are all confirmed and the devnodes accepted what
# the overseer counted. Namespaces and processes are removed on exit; every
# process is bounded by `timeout`.
# Skips when not root, or ("cannot run here: ...") when `ip netns` cannot make a namespace.
set -u
BEACON=$(readlink -f "${1:?usage: test_netns.sh BEACON DEVNODE OVERSEER SRCDIR}")
DEVNODE=$(readlink -f "${2:?}")
OVERSEER=$(readlink -f "${3:?}")
SRC=$(cd "${4:?}" && pwd)
KEYS=$SRC/devnode/test-accounts.keys
NET=10.213.0
P=bss$$-            # namespace prefix: unique per run
RATE=150 CUT_AFTER=3  # tx/s of both phases; seconds of phase 2 before b3's link goes down

skip_all() { echo "1..1"; echo "ok 1 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "not root: network namespaces need root"
# iproute2 is installed by scripts/deps.sh: its absence is a skip that fails under CI.
command -v ip >/dev/null || skip_all "no ip command (iproute2; scripts/deps.sh installs it)"
# Where the kernel (or the container this runs in) forbids new network
# namespaces no install helps: "cannot run here:" (see scripts/tally.py).
probe=$(ip netns add "${P}probe" 2>&1) ||
  skip_all "cannot run here: ip netns cannot create a network namespace (${probe:-failed})"
ip netns del "${P}probe"

tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
# Key files must be private (the overseer refuses others-readable ones): a 0600 copy.
umask 077
install -m 600 "$KEYS" "$tmp/accounts.keys"; KEYS=$tmp/accounts.keys
pids=()
spaces=()
cleanup() {
  local p s
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for s in "${spaces[@]}"; do ip netns del "$s" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bail() { notok "$@"; while [ $n -lt $PLAN ]; do notok "skipped: an earlier step failed"; done; exit 1; }

# host NAME ADDR: a namespace NAME with eth0 at ADDR/24, plugged into the switch.
host() {
  local ns=$P$1
  ip netns add "$ns" && spaces+=("$ns") &&
  ip -n "$ns" link set lo up &&
  ip -n "${P}sw" link add "p-$1" type veth peer name eth0 netns "$ns" &&
  ip -n "${P}sw" link set "p-$1" master br0 up &&
  ip -n "$ns" addr add "$2/24" dev eth0 &&
  ip -n "$ns" link set eth0 up
}

# inns NAME CMD...: runs CMD inside namespace NAME.
inns() { local ns=$P$1; shift; ip netns exec "$ns" "$@"; }
# bg NAME OUT ERR CMD...: starts CMD inside namespace NAME in the background,
# stdout to OUT, stderr to ERR (- : to OUT); sets `last` to its pid and adds
# it to pids.
# Started here and not as `inns ... &`, which would fork a subshell: killing
# that would leave CMD running. `ip netns exec` execs CMD (a `timeout`, which
# passes SIGTERM on), so the pid is CMD's.
bg() {
  local ns=$P$1 o=$2 e=$3; shift 3
  if [ "$e" = - ]; then ip netns exec "$ns" "$@" >"$o" 2>&1 &
  else ip netns exec "$ns" "$@" >"$o" 2>"$e" &
  fi
  last=$!; pids+=($last)
}

# check DESC PYTHON [LOG...]: a TAP line from PYTHON, which sees `ts`, `bc`,
# `summary` (rows of the overseer's timeseries.csv, beacons.csv,
# summary.csv), `total(rows, col)` (a rate column times interval_s, summed: a
# count), `events` (events.log), `dn` (each devnode's JSON stats lines) and RC
# (the overseer's exit status). The LOGs are shown when it fails.
check() {
  local desc=$1 code=$2; shift 2
  if RC=$ov_rc python3 - "$tmp/out" "$tmp" >"$tmp/check.out" 2>&1 <<PY
import csv, json, os, sys
RC = int(os.environ["RC"])
out, tmp = sys.argv[1], sys.argv[2]
def rows(name):
    p = os.path.join(out, name)
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []
def text(p):
    return open(p).read() if os.path.exists(p) else ""
ts, bc, summary = rows("timeseries.csv"), rows("beacons.csv"), rows("summary.csv")
events = text(os.path.join(out, "events.log"))
dn = [[json.loads(l) for l in text(f"{tmp}/dn{i}.out").splitlines() if l.startswith("{")] for i in (1, 2)]
def total(rs, col):
    return round(sum(float(r[col] or 0) * float(r["interval_s"]) for r in rs))
$code
PY
  then ok "$desc"; sed 's/^/# /' "$tmp/check.out"
  else notok "$desc" "$tmp/check.out" "$@"; fi
}

PLAN=7
echo "1..$PLAN"

# --- the network ------------------------------------------------------------
{
  ip netns add "${P}sw" && spaces+=("${P}sw") &&
  ip -n "${P}sw" link add br0 type bridge &&
  ip -n "${P}sw" link set br0 up &&
  host ov $NET.1 && host dn1 $NET.11 && host dn2 $NET.12 &&
  host b1 $NET.21 && host b2 $NET.22 && host b3 $NET.23
} >"$tmp/net.log" 2>&1
if [ $? -eq 0 ]; then ok "namespaces sw, ov, dn1, dn2, b1, b2, b3 on $NET.0/24"
else bail "namespaces sw, ov, dn1, dn2, b1, b2, b3 on $NET.0/24" "$tmp/net.log"; fi

# --- devnodes ---------------------------------------------------------------
# Two nodes of one "network": the same genesis and --shared-block-ids, so a
# transaction's TaPoS is valid on both; they do not relay, so the beacons
# follow both (follow: all).
for d in 1 2; do
  bg dn$d "$tmp/dn$d.out" "$tmp/dn$d.err" timeout 120 "$DEVNODE" --listen $NET.1$d:8090 \
    --accounts "$KEYS" --block-interval 0.5 --shared-block-ids --stats-json --quiet
  dnpid[$d]=$last
done
up=0
for _ in $(seq 100); do
  grep -q '^listening on' "$tmp/dn1.out" 2>/dev/null && grep -q '^listening on' "$tmp/dn2.out" 2>/dev/null && { up=1; break; }
  sleep 0.05
done
# ...and every beacon namespace reaches both over the bridge.
for b in 1 2 3; do
  [ $up -eq 1 ] && inns b$b timeout 10 python3 -c '
import socket, sys
for a in sys.argv[1:]:
    socket.create_connection((a, 8090), timeout=3).close()' $NET.11 $NET.12 2>>"$tmp/dn.err" || up=0
done
cat "$tmp"/dn?.out "$tmp"/dn?.err "$tmp/dn.err" >"$tmp/dn.log" 2>/dev/null
if [ $up -eq 1 ]; then ok "devnodes listen on ws://$NET.11:8090 and ws://$NET.12:8090, reached from b1, b2, b3"
else bail "devnodes listen on ws://$NET.11:8090 and ws://$NET.12:8090, reached from b1, b2, b3" "$tmp/dn.log"; fi

# --- the overseer and the beacons -------------------------------------------
# Off loopback there is no --insecure: the overseer's keypair, one per beacon,
# and the allowlist of the beacons' public keys. The accounts go from the
# overseer to the beacons over CurveZMQ (each beacon gets its own).
{
  "$OVERSEER" keygen "$tmp/overseer" && for b in 1 2 3; do "$BEACON" keygen "$tmp/b$b" || exit 1; done &&
  cat "$tmp"/b?.pub >"$tmp/beacons.allow"
} >"$tmp/keys.log" 2>&1 || bail "keys: overseer keygen, beacon keygen" "$tmp/keys.log"
cat >"$tmp/netns.yaml" <<YAML
name: netns
nodes: [ws://$NET.11:8090, ws://$NET.12:8090]
accounts: $KEYS
beacons: 3
on_beacon_lost: continue
defaults: {mix: {transfer: 70, limit_order: 30}, follow: all, drain: 3, ack_timeout: 3}
phases:
  - {name: before, duration: 4, rate: $RATE}
  - {name: cut, duration: 10, rate: $RATE}
YAML
bg ov "$tmp/ov.log" - timeout 120 "$OVERSEER" run "$tmp/netns.yaml" --out "$tmp/out" \
  --bind tcp://$NET.1:7100 --key "$tmp/overseer.key" --allow "$tmp/beacons.allow" --wait 30 --quiet
ov=$last
for b in 1 2 3; do
  bg b$b "$tmp/b$b.log" - timeout 120 "$BEACON" --overseer tcp://$NET.1:7100 \
    --overseer-key "$tmp/overseer.pub" --key "$tmp/b$b.key" --id b$b
done

# The cut: b3's side of its cable goes down once CUT_AFTER seconds of phase
# 2's load are in the time series, as when a host drops off the network (no
# reset reaches anyone).
cut=0
for _ in $(seq 900); do
  [ "$(awk -F, '$4 == "cut"' "$tmp/out/timeseries.csv" 2>/dev/null | wc -l)" -ge $CUT_AFTER ] && { cut=1; break; }
  kill -0 $ov 2>/dev/null || break
  sleep 0.05
done
if [ $cut -eq 1 ]; then
  ip -n "${P}b3" link set eth0 down
  echo "# $(date +%T) b3's link set down after $CUT_AFTER s of phase 2 in the time series"
fi
wait $ov; ov_rc=$?
# SIGTERM: each devnode writes its last, partial second of stats.
for d in 1 2; do kill "${dnpid[$d]}" 2>/dev/null; wait "${dnpid[$d]}" 2>/dev/null; done

check "the overseer ($NET.1) waits for b1, b2, b3 (CurveZMQ, allowlisted), runs both phases and completes (exit $ov_rc)" '
assert RC == 0, ("exit status", RC)
assert events.count("accepted beacon key") == 3, events
for b in (1, 2, 3):
    assert f"beacon b{b} joined from '"$NET"'.2{b} " in events, events
assert [r["phase"] for r in summary] == ["before", "cut"], summary
assert "run completed" in events, events[-1500:]' "$tmp/ov.log" "$tmp/b3.log"

check "b3's cut link: the overseer reports b3 lost, and only b3" '
import re
lost = [l for l in events.splitlines() if re.search(r"beacon \S+ lost:", l)]
assert len(lost) == 1 and "beacon b3 lost" in lost[0], lost or events
print(lost[0])' "$tmp/out/events.log"

check "timeseries.csv goes on without b3: beacons_alive 3 -> 2 in phase 2, confirmed load in every later second" '
cut = [r for r in ts if r["phase"] == "cut"]
alive = [int(r["beacons_alive"]) for r in cut]
assert alive and alive[0] == 3 and alive[-1] == 2, alive
assert alive == sorted(alive, reverse=True), alive
after = [r for r in cut if r["beacons_alive"] == "2"]
load = [r for r in after if float(r["offered_tps"]) > 0]
assert len(load) >= 3, after
assert all(float(r["confirmed_tps"]) > 0 for r in load), load
print("beacons_alive per second of phase 2:", alive)' "$tmp/ov.log"

check "b1 and b2 confirm everything they offered, through the end of phase 2; b3 has no row after its loss" '
end = max(float(r["t_s"]) for r in ts)
for b in ("b1", "b2"):
    rs = [r for r in bc if r["beacon"] == b]
    c = {k: total(rs, k + "_tps") for k in ("offered", "sent", "accepted", "confirmed", "rejected", "timeouts")}
    assert c["offered"] > 0 and c["confirmed"] == c["accepted"] == c["sent"] == c["offered"], (b, c)
    assert c["rejected"] == c["timeouts"] == 0, (b, c)
    assert max(float(r["t_s"]) for r in rs if r["phase"] == "cut") >= end - 4, (b, end)
    print(b, c)
b3 = [r for r in bc if r["beacon"] == "b3"]
gone = next(float(l.split()[1]) for l in events.splitlines() if "beacon b3 lost" in l)
assert b3 and max(float(r["t_s"]) for r in b3) <= gone, (gone, b3[-1])
c3 = {k: total(b3, k + "_tps") for k in ("offered", "accepted", "confirmed")}
assert c3["confirmed"] > 0, c3
print("b3", c3, "lost at", gone)' "$tmp/out/events.log"

check "the devnodes accepted what the overseer counted (plus b3's last unreported ones), and both had load" '
node = [sum(d["accepted"] for d in lines) for lines in dn]
applied = [sum(d["applied_tx"] for d in lines) for lines in dn]
acc, conf = total(ts, "accepted_tps"), total(ts, "confirmed_tps")
assert all(a > 0 for a in node), node
assert acc <= sum(node) <= acc + '"$RATE"' * 5, (node, acc)
assert conf <= sum(applied), (applied, conf)
print("devnodes accepted", node, "applied", applied, "; the overseer counted accepted", acc, "confirmed", conf)' \
  "$tmp/dn.log"

exit $((bad > 0))
