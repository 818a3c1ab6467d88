#!/usr/bin/env bash
# Issue 6 end to end (TAP, suite slow), one case per meson test so that the
# light ones can run beside others:
#   fl1500          find_limit finds a devnode's known capacity (1500 tx/s)
#                   within 5 %, node-bound
#   real-user, max-throughput, find-limit, p2p-limit
#                   the shipped scenario runs with --local, durations scaled
#                   down, and gives the verdicts and results its local
#                   network must give: real-user (far below capacity) ok in
#                   every phase and every transaction confirmed;
#                   max-throughput (unlimited against capacity-limited
#                   devnodes) node-bound; find-limit the local devnode's
#                   capacity (1000 tx/s, a second capacity for find_limit);
#                   p2p-limit the devnode's push limit (signed transactions
#                   under 1 MiB, devnode/README.md).
# Args: OVERSEER SRCDIR CASE
set -u
OVERSEER=$1 SRC=$2 CASE=$3
tmp=$(mktemp -d)
# On exit, only the processes this script started (tests/procs.py: its descendants).
trap 'for p in $(python3 "$SRC/tests/procs.py" $$); do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
. "$SRC/tests/tap.sh"

case $CASE in
fl1500)
  # find_limit against a capacity of 1500 tx/s: the limit it reports (the
  # highest rate a step sustained: accepted and confirmed close to offered
  # over its window) is within 5 %, with the default stop rules (accepted,
  # confirmed and ack latency: a node at its limit may answer ever later and
  # reject nothing).
  echo "1..1"
  cap=1500
  cat >"$tmp/fl.yaml" <<YAML
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
  timeout 600 "$OVERSEER" run "$tmp/fl.yaml" --local --out "$tmp/fl" --quiet \
    --bind "tcp://127.0.0.1:$(freeport)" >"$tmp/fl.log" 2>&1
  rc=$?
  py "find_limit reports a devnode's capacity of $cap tx/s within 5 %, node-bound" "
import csv, re
assert $rc == 0, 'exit $rc'
rows = [r for r in csv.DictReader(open('$tmp/fl/summary.csv')) if r['kind'] == 'find_limit']
m = re.search(r'limit ([0-9.]+) tx/s', rows[-1]['note'])
assert m, rows[-1]['note']
limit = float(m.group(1))
print('limit', limit, rows[-1]['note'])
assert abs(limit - $cap) <= 0.05 * $cap, (limit, rows[-1]['note'])
assert rows[-1]['verdict'] == 'node-bound', rows[-1]" "$tmp/fl.log"
  tap_status; exit ;;
real-user) scale=0.05 ;;
max-throughput) scale=0.04 ;;
# find-limit at 0.2: 6 s steps (2 s settling) against 1 s blocks; shorter
# steps cannot see confirmations and report a fraction of the capacity.
find-limit) scale=0.2 ;;
p2p-limit) scale=0.1 ;;
*) echo "test_scenarios.sh: unknown case '$CASE'" >&2; exit 2 ;;
esac

# A shipped scenario, run locally and scaled down: a summary row per phase,
# then the verdicts and results that scenario must give on its local network.
echo "1..2"
name=$CASE
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
  # Over the whole run (beacons.csv: every beacon's every second, drain
  # included) every transaction offered is sent, accepted and confirmed.
  # Within a phase's window, what was sent in its last moments is confirmed
  # after it (one block later): at most the phase's peak rate times its
  # slowest inclusion plus a second of bucketing. (A 5 s window of the
  # 10-50 tx/s ramp confirms about 70 % in-window: in-window shares alone
  # cannot be held to a fixed percentage.)
  py "real-user: 10..150 tx/s on 3 devnodes of 1000 tx/s: every phase ok, every transaction confirmed" "$pre
assert len(rows) == 4, show
assert all(r['verdict'] == 'ok' for r in rows), show
tot = {}
for r in csv.DictReader(open('$tmp/$name/beacons.csv')):
    for k in ('offered', 'sent', 'accepted', 'confirmed', 'rejected', 'lost', 'timeouts'):
        tot[k] = tot.get(k, 0) + float(r[k + '_tps']) * float(r['interval_s'])
print('run totals', tot)
assert tot['offered'] > 0 and tot['offered'] == tot['sent'] == tot['accepted'] == tot['confirmed'], tot
assert tot['rejected'] == tot['lost'] == tot['timeouts'] == 0, tot
peak = {'warm-up': 50, 'normal': 50, 'busy': 150, 'back-to-normal': 50}
for r in rows:
    slack = peak[r['phase']] * (float(r['inclusion_max_ms']) / 1000 + 1)
    print(r['phase'], r['offered_tx'], r['confirmed_tx'], 'slack', slack)
    assert float(r['confirmed_tx']) >= float(r['offered_tx']) - slack, (r['phase'], r['offered_tx'], r['confirmed_tx'], slack)" \
    "$tmp/$name.log" ;;
max-throughput)
  # Unlimited rate against devnodes of capacity 1000 in one network: the
  # network is the limit (acks slow down, in flight grows: verdict rule N9).
  py "max-throughput: unlimited phases against 3 devnodes of 1000 tx/s are node-bound" "$pre
assert len(rows) == 4, show
assert all(r['verdict'] == 'node-bound' for r in rows), show" "$tmp/$name.log" ;;
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
tap_status
