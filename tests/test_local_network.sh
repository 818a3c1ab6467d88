#!/usr/bin/env bash
# `overseer run --local` with several devnodes starts one relaying network
# (issue 16, TAP): every transaction in the one chain; one node's capacity is
# the network's however the load is spread; every devnode a witness of the
# schedule; one killed mid-run leaves the others producing, its slots missed
# and (3 witnesses: 2 of 3 is under graphene's 70 %) the last irreversible
# block stopped. Args: OVERSEER SRCDIR
#
# Capacity is 200 tx/s per node, not the issue's 1000: the tests share a
# 2-core machine (and run under ASan), where 3 devnodes, a beacon and the
# overseer at 800+ tx/s starve each other (at 300 an ASan run confirmed 5.4 %
# under capacity). The ratios are what is checked.
# Every run is bounded by `timeout`; the only process killed by pid is a
# devnode of the overseer this script started (found among its children).
set -u
OVERSEER=$1
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
CAP=200
# run NAME RATE SPREAD DURATION: a 3-devnode local run in the foreground.
scen() {
  cat >"$tmp/$1.yaml" <<YAML
name: $1
beacons: 1
local: {devnodes: 3, capacity: $CAP, block_interval: 0.5}
defaults: {mix: {transfer: 100}, drain: 4, warmup: 4, cooldown: 1}
phases:
  - {name: load, duration: $4, rate: $2, nodes: $3}
YAML
}
run() {
  scen "$@"
  timeout 150 "$OVERSEER" run "$tmp/$1.yaml" --local --out "$tmp/$1" --quiet \
    --bind "tcp://127.0.0.1:$(freeport)" >"$tmp/$1.log" 2>&1
}
# Python: per-devnode stats lines of a run directory.
DN='
import csv, glob, json, re
def dn(d):
    out = {}
    for f in sorted(glob.glob(d + "/devnode-*.log")):
        k = int(re.search(r"devnode-(\d+)", f).group(1))
        out[k] = [json.loads(l) for l in open(f) if l.startswith("{")]
    return out
def ts(d):
    rows = list(csv.DictReader(open(d + "/timeseries.csv")))
    return {c: sum(float(r[c + "_tps"]) * float(r["interval_s"]) for r in rows)
            for c in ("sent", "accepted", "confirmed")}
'

echo "1..7"

# 1-2. 0.8 x capacity spread over 3 nodes: every transaction confirmed, and
# every node's chain holds every one of them (the same blocks).
run spread80 $((CAP * 8 / 10)) all 12
rc=$?
py "3 relaying devnodes, $((CAP * 8 / 10)) tx/s spread over all three: every transaction sent is confirmed" "$DN
assert $rc == 0, 'exit $rc'
t = ts('$tmp/spread80')
s = list(csv.DictReader(open('$tmp/spread80/summary.csv')))[0]
print('sent', t['sent'], 'confirmed', t['confirmed'], '; window: sent', s['sent_tx'], 'confirmed', s['confirmed_tx'])
assert t['sent'] == $((CAP * 8 / 10 * 12)) and round(t['confirmed']) == t['sent'], t
assert 'relaying as one network' in open('$tmp/spread80/events.log').read()" \
  "$tmp/spread80.log" "$tmp/spread80/events.log"
py "one chain: each devnode (a witness) applied every transaction in its blocks, no missed block, no id mismatch, heads within 2 blocks, LIB within 3 of the head; the report's network table says so" "$DN
d = dn('$tmp/spread80')
t = ts('$tmp/spread80')
assert sorted(d) == [1, 2, 3], sorted(d)
roles = [d[k][-1]['role'] for k in (1, 2, 3)]
assert roles == ['witness'] * 3, roles
for k in (1, 2, 3):
    applied = sum(x['applied_tx'] for x in d[k])
    last = d[k][-1]
    print('devnode', k, 'applied', applied, 'head', last['head_block'], 'lib', last['lib'], 'missed', last['missed_blocks'], 'missed slots', last['missed_slots'])
    assert last['witnesses'] == 3, last
    assert all(x['head_block'] - 3 <= x['lib'] <= x['head_block'] for x in d[k][3:]), (k, [(x['head_block'], x['lib']) for x in d[k]])
    assert applied == round(t['sent']), (k, applied, t)
    assert last['missed_blocks'] == 0 and last['block_id_mismatch'] == 0, last
    assert max(x['behind'] for x in d[k]) <= 2, (k, [x['behind'] for x in d[k]])
    assert max(x['peers_up'] for x in d[k]) == 2
heads = [d[k][-1]['head_block'] for k in (1, 2, 3)]
assert max(heads) - min(heads) <= 2, heads
h = open('$tmp/spread80/report.html').read()
net = re.search(r'<section id=\"network\">(.*?)</section>', h, re.S)
assert net, 'no network section in report.html'
rows = re.findall(r'<tr><td>devnode-(\d)</td><td>(\w+)</td><td class=\"n\">(\d+)</td><td class=\"n\">(\d+)</td>', net.group(1))
assert [(int(k), r) for k, r, _, _ in rows] == [(1, 'witness'), (2, 'witness'), (3, 'witness')], rows
assert all(int(hd) == d[int(k)][-1]['head_block'] and int(lib) == d[int(k)][-1]['lib'] for k, _, hd, lib in rows), rows" "$tmp/spread80.log"

# 3-4. 1.5 x capacity all on one node, then spread over three: the network
# confirms one node's capacity both times (every node applies every one).
for spread in one all; do
  run over$spread $((CAP * 3 / 2)) $spread 14
  rc=$?
  py "1.5 x capacity ($((CAP * 3 / 2)) tx/s) on nodes: $spread confirms one node's capacity ($CAP tx/s) within 5 %" "$DN
assert $rc == 0, 'exit $rc'
s = list(csv.DictReader(open('$tmp/over$spread/summary.csv')))[0]
c = float(s['confirmed_tps'])
print('offered', s['offered_tps'], 'confirmed', c, 'verdict', s['verdict'])
assert abs(c - $CAP) <= 0.05 * $CAP, (c, s['verdict'], s['reason'])" "$tmp/over$spread.log"
done

# 5-6. A devnode (witness 1.6.3) killed mid-run: the others keep producing
# and confirming, its slots are missed, the LIB stops (2 of 3 witnesses);
# the beacon counts that node's connection errors.
scen kill $((CAP * 6 / 10)) all 16
timeout 150 "$OVERSEER" run "$tmp/kill.yaml" --local --out "$tmp/kill" --quiet \
  --bind "tcp://127.0.0.1:$(freeport)" >"$tmp/kill.log" 2>&1 &
tpid=$!
pids+=("$tpid")
victim='' port=''
for _ in $(seq 1 300); do   # up to 30 s for the load to start
  if grep -q '"accepted":[1-9]' "$tmp/kill/devnode-3.log" 2>/dev/null; then
    port=$(sed -n 's#^listening on ws://127.0.0.1:\([0-9]*\)$#\1#p' "$tmp/kill/devnode-3.log")
    break
  fi
  sleep 0.1
done
sleep 4
# The overseer is the child of our `timeout`; devnode-3 is its child listening on that port.
for o in $(ps -o pid= --ppid "$tpid"); do
  for c in $(ps -o pid= --ppid "$o"); do
    if [ -n "$port" ] && tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -q -- "--listen 127.0.0.1:$port "; then
      victim=$c
    fi
  done
done
[ -n "$victim" ] && kill -KILL "$victim"
kill_t=$(date +%s)
wait "$tpid"
rc=$?
py "devnode-3 (witness 1.6.3) killed mid-run: the run completes; devnodes 1 and 2 keep producing and confirm everything sent to them, count its missed slots, and their LIB stops" "$DN
assert '$victim' != '', 'devnode-3 not found (port $port)'
assert $rc == 0, 'exit $rc'
d = dn('$tmp/kill')
after = {k: [x for x in d[k] if x['time'] > $kill_t + 1] for k in (1, 2)}
for k in (1, 2):
    assert len(after[k]) >= 3, (k, len(after[k]))
    grew = after[k][-1]['head_block'] - after[k][0]['head_block']
    mid = after[k][len(after[k]) // 2]  # the last lines are the shutdown's
    print('devnode', k, 'blocks after the kill', grew, 'relay dropped', d[k][-1]['relay_dropped'], 'peers up', mid['peers_up'])
    assert grew >= 4, (k, grew)
    assert mid['peers_up'] == 1 and d[k][-1]['relay_dropped'] > 0, mid
    assert d[k][-1]['missed_blocks'] == 0 and d[k][-1]['block_id_mismatch'] == 0
    before = [x for x in d[k] if x['time'] < $kill_t]
    print('devnode', k, 'head/lib before the kill', before[-1]['head_block'], before[-1]['lib'], 'at the end', after[k][-1]['head_block'], after[k][-1]['lib'], 'missed slots', after[k][-1]['missed_slots'])
    assert after[k][-1]['missed_slots'] > before[-1]['missed_slots'] and after[k][-1]['recently_missed_count'] > 0, after[k][-1]
    assert after[k][-1]['lib'] <= before[-1]['head_block'] + 4, (before[-1], after[k][-1])
    assert after[k][-1]['lib'] == after[k][2]['lib'] < after[k][-1]['head_block'] - 4, [(x['head_block'], x['lib']) for x in after[k]]
assert abs(d[1][-1]['head_block'] - d[2][-1]['head_block']) <= 2
rows = list(csv.DictReader(open('$tmp/kill/nodes.csv')))
per = {}
for r in rows:
    p = per.setdefault(r['url'], {'sent': 0, 'confirmed': 0})
    for c in ('sent', 'confirmed'):
        p[c] += float(r[c + '_tps']) * float(r['interval_s'])
for u, p in per.items():
    print(u, p)
    if not u.endswith(':$port'):
        assert round(p['confirmed']) == round(p['sent']) > 0, (u, p)" "$tmp/kill.log" "$tmp/kill/events.log"
py "the beacon reports devnode-3's connection errors (nodes.csv and events.log)" "
import csv
rows = [r for r in csv.DictReader(open('$tmp/kill/nodes.csv')) if r['url'].endswith(':$port')]
errs = sum(float(r['conn_errors_ps']) * float(r['interval_s']) for r in rows)
others = sum(float(r['conn_errors_ps']) * float(r['interval_s']) for r in csv.DictReader(open('$tmp/kill/nodes.csv')) if not r['url'].endswith(':$port'))
print('connection errors: devnode-3', errs, 'others', others)
assert errs > 0 and others == 0, (errs, others)
ev = open('$tmp/kill/events.log').read()
assert '127.0.0.1:$port' in ev, 'events.log does not name the node'" "$tmp/kill.log" "$tmp/kill/events.log"

# 7. local.network: false keeps independent chains: each devnode applies only
# what it was sent, and the beacons (following every node) confirm it all.
cat >"$tmp/indep.yaml" <<YAML
name: indep
beacons: 1
local: {devnodes: 2, network: false, block_interval: 0.5}
defaults: {mix: {transfer: 100}, drain: 3}
phases:
  - {name: load, duration: 6, rate: 200}
YAML
timeout 150 "$OVERSEER" run "$tmp/indep.yaml" --local --out "$tmp/indep" --quiet \
  --bind "tcp://127.0.0.1:$(freeport)" >"$tmp/indep.log" 2>&1
rc=$?
py "local.network: false: two independent chains, each applies only its share, every transaction confirmed" "$DN
assert $rc == 0, 'exit $rc'
d = dn('$tmp/indep')
t = ts('$tmp/indep')
applied = [sum(x['applied_tx'] for x in d[k]) for k in (1, 2)]
print('applied', applied, 'sent', t['sent'], 'confirmed', t['confirmed'])
assert applied == [600, 600] and round(t['confirmed']) == t['sent'] == 1200, (applied, t)
assert all('role' not in x for k in (1, 2) for x in d[k])
assert 'relaying' not in open('$tmp/indep/events.log').read()" "$tmp/indep.log"

exit $((bad > 0))
