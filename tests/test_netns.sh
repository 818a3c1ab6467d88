#!/usr/bin/env bash
# Many hosts without containers (TAP; suite 'slow'). Args: BEACON DEVNODE SRCDIR
#
# Every component gets a network namespace of its own with its own address on
# a private subnet that exists only inside the namespaces made here
# (10.213.0.0/24, a bridge in a "switch" namespace, one veth pair per host;
# nothing is added to the root namespace and nothing routes out of it):
#   sw   bridge br0
#   dn1  devnode 10.213.0.11     b1  beacon 10.213.0.21
#   dn2  devnode 10.213.0.12     b2  beacon 10.213.0.22
#                                b3  beacon 10.213.0.23  (its link is cut mid-run)
# Each beacon spreads over both devnodes with accounts of its own. While they
# run, b3's link is set down: b1 and b2 must complete with every transaction
# confirmed, b3 must report the lost connections. Namespaces and processes
# are removed on exit; every process is bounded by `timeout`.
# Skips when not root or when `ip netns` cannot make a namespace.
set -u
BEACON=$(readlink -f "${1:?usage: test_netns.sh BEACON DEVNODE SRCDIR}")
DEVNODE=$(readlink -f "${2:?}")
SRC=$(cd "${3:?}" && pwd)
KEYS=$SRC/devnode/test-accounts.keys
NET=10.213.0
P=bss$$-            # namespace prefix: unique per run
RATE=100 DURATION=10 CUT_AT=4

skip_all() { echo "1..1"; echo "ok 1 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "not root: network namespaces need root"
command -v ip >/dev/null || skip_all "no ip command (iproute2)"
ip netns add "${P}probe" 2>/dev/null || skip_all "ip netns cannot create a namespace here"
ip netns del "${P}probe"

tmp=$(mktemp -d)
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

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && sed 's/^/# /' "$2" | tail -n 30; }
bail() { notok "$1" "$2"; while [ $n -lt $PLAN ]; do notok "skipped: an earlier step failed"; done; exit 1; }

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

# keys_of N: the N-th pair of accounts of the devnode key file (beacons must
# not send the same transactions, so each has accounts of its own).
keys_of() { grep -v '^#' "$KEYS" | grep . | sed -n "$((2 * $1 - 1)),$((2 * $1))p"; }

# check NAME DESC PYTHON: PYTHON sees `rows` ($tmp/NAME.jsonl), `tot`, `log`, RC.
check() {
  local name=$1 desc=$2 code=$3 rc
  rc=$(cat "$tmp/$name.rc" 2>/dev/null || echo 255)
  if RC=$rc python3 - "$tmp/$name.jsonl" "$tmp/$name.log" "$tmp" >"$tmp/$name.check" 2>&1 <<PY
import glob, json, os, sys
RC = int(os.environ["RC"])
tmp = sys.argv[3]
rows = [json.loads(l) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
log = open(sys.argv[2]).read() if os.path.exists(sys.argv[2]) else ""
keys = ['offered', 'sent', 'accepted', 'confirmed', 'timeouts', 'conn_errors', 'lost',
        'rejected_total', 'dropped']
tot = {k: sum(r[k] for r in rows) for k in keys}
$code
if rows:
    print("$name:", "rc", RC, " ".join(f"{k} {v}" for k, v in tot.items()))
PY
  then ok "$desc"; sed 's/^/# /' "$tmp/$name.check"
  else tail -n 20 "$tmp/$name.log" >>"$tmp/$name.check" 2>/dev/null; notok "$desc" "$tmp/$name.check"; fi
}

PLAN=6
echo "1..$PLAN"

# --- the network ------------------------------------------------------------
{
  ip netns add "${P}sw" && spaces+=("${P}sw") &&
  ip -n "${P}sw" link add br0 type bridge &&
  ip -n "${P}sw" link set br0 up &&
  host dn1 $NET.11 && host dn2 $NET.12 &&
  host b1 $NET.21 && host b2 $NET.22 && host b3 $NET.23
} >"$tmp/net.log" 2>&1
if [ $? -eq 0 ]; then ok "namespaces sw, dn1, dn2, b1, b2, b3 on $NET.0/24"
else bail "namespaces sw, dn1, dn2, b1, b2, b3 on $NET.0/24" "$tmp/net.log"; fi

# --- the scenario -----------------------------------------------------------
# Today: standalone `beacon run` in each beacon namespace. With the overseer:
# a namespace `ov` at $NET.1 running `overseer run SCENARIO --bind
# tcp://$NET.1:7100 --beacons 3`, and `beacon --overseer tcp://$NET.1:7100`
# in b1..b3; the checks read the overseer's CSV and its "lost" report.
for d in 1 2; do
  inns dn$d timeout 120 "$DEVNODE" --listen $NET.1$d:8090 --accounts "$KEYS" --block-interval 0.5 \
    --shared-block-ids --stats-json --quiet >"$tmp/dn$d.out" 2>"$tmp/dn$d.err" &
  pids+=($!)
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

for b in 1 2 3; do
  keys_of $b >"$tmp/b$b.keys"
  inns b$b timeout 120 "$BEACON" run --node ws://$NET.11:8090 --node ws://$NET.12:8090 --follow all \
    --accounts "$tmp/b$b.keys" --rate $RATE --duration $DURATION --drain 5 --ack-timeout 3 \
    --quiet --stats-json "$tmp/b$b.jsonl" >"$tmp/b$b.log" 2>&1 &
  pids+=($!)
  bpid[$b]=$!
done
# The cut: b3's side of its cable goes down, as when a host drops off the network.
sleep $CUT_AT
ip -n "${P}b3" link set eth0 down
echo "# $(date +%T) b3's link set down ${CUT_AT} s into the run"
for b in 1 2 3; do wait "${bpid[$b]}"; echo $? >"$tmp/b$b.rc"; done
for d in 1 2; do kill "${pids[$((d - 1))]}" 2>/dev/null; done
sleep 0.3

for b in 1 2; do
  check b$b "beacon b$b ($NET.2$b) completes: every offered transaction sent, accepted and confirmed" "
assert RC == 0, ('exit status', RC)
assert abs(tot['offered'] - $RATE * $DURATION) <= $RATE * $DURATION // 50, tot
assert tot['sent'] == tot['offered'] == tot['accepted'] == tot['confirmed'], tot
assert tot['rejected_total'] == 0 and tot['lost'] == 0 and tot['conn_errors'] == 0, tot"
done

# A cut cable sends no reset: the beacon learns of it from unanswered
# requests (timeouts) or, once it reconnects, from refused connections.
check b3 "beacon b3 ($NET.23), link cut after $CUT_AT s: reports the failure (timeouts, connection errors) and ends" "
assert RC in (0, 1), ('exit status', RC)
assert tot['timeouts'] + tot['conn_errors'] >= 1, tot
if tot['conn_errors'] == 0:
    print('note: only timeouts were reported, no connection error (the dead connection was never closed)')
assert tot['confirmed'] < tot['offered'], tot
early = [r for r in rows if r['t'] < $CUT_AT - 1]
assert early and sum(r['confirmed'] for r in early) > 0, ('nothing confirmed before the cut', early)"

check nodes "the devnodes accepted what the beacons say they accepted (and b3's last unacknowledged ones)" "
dn = [sum(json.loads(l)['accepted'] for l in open(f'{tmp}/dn{i}.out') if l.startswith('{')) for i in (1, 2)]
beacons = [sum(json.loads(l)['accepted'] for l in open(f'{tmp}/b{i}.jsonl')) for i in (1, 2, 3)]
assert all(d > 0 for d in dn), dn
assert sum(beacons) <= sum(dn) <= sum(beacons) + $RATE * $DURATION, (dn, beacons)
print('devnodes accepted', dn, 'beacons accepted', beacons)"

exit $((bad > 0))
