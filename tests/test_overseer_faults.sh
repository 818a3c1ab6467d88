#!/usr/bin/env bash
# Faults leave true, complete numbers (issue 13), end to end on loopback (TAP).
# Args: OVERSEER BEACON DEVNODE HOSTILE SRCDIR
# Every process this script starts is bounded by `timeout` (or killed by the
# test itself) and killed by its pid on exit; nothing is looked up by name.
set -u
OVERSEER=$1 BEACON=$2 DEVNODE=$3 HOSTILE=$4 SRC=$5
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
# Key files must be private (beacon and overseer refuse others-readable ones).
install -m 600 "$SRC/devnode/test-accounts.keys" "$tmp/accounts.keys"; KEYS=$tmp/accounts.keys
pids=()
cleanup() { for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
# waitfor FILE PATTERN TENTHS: until PATTERN is in FILE (grep -E), at most TENTHS/10 s.
waitfor() { for _ in $(seq "$3"); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
start_devnode() { # NAME PORT: per-second JSON stats in NAME.json
  timeout 300 "$DEVNODE" --quiet --stats-json --accounts "$KEYS" --listen "127.0.0.1:$2" \
    --block-interval 0.5 >"$tmp/$1.json" 2>"$tmp/$1.err" &
  pids+=($!)
  waitfor "$tmp/$1.json" '^listening on' 100
}
start_beacon() { # ID PORT: sets $bpid (the `timeout` wrapper's pid)
  timeout 200 "$BEACON" --overseer "tcp://127.0.0.1:$2" --insecure --accounts "$KEYS" --id "$1" >>"$tmp/$1.log" 2>&1 &
  bpid=$!; pids+=($bpid)
}
# The beacon itself: the child of the `timeout` this script started (signals other than
# TERM/INT/HUP do not pass through timeout).
child() { local c=""; for _ in $(seq 50); do c=$(python3 "$SRC/tests/procs.py" "$1" | head -n 1); [ -n "$c" ] && break; sleep 0.1; done; echo $c; }
# Sums of a devnode's JSON lines and of a run's timeseries.csv (tx).
applied() { python3 -c "
import json, sys
print(sum(json.loads(l)['applied_tx'] for l in open(sys.argv[1]) if l.startswith('{')))" "$1"; }

echo "1..14"

# 1-4. A beacon restarted with the same id mid-phase (defect 1): the restart is logged, the new
# process's reports are counted from its seq 1, and the CSV totals equal what the devnode
# applied (within 1 s of traffic: the killed process's last, unreported second).
dport=$(freeport); start_devnode dn1 "$dport"
oport=$(freeport)
cat >"$tmp/restart.yaml" <<YAML
name: restart
nodes: [ws://127.0.0.1:$dport]
beacons: 2
defaults: {drain: 2}
phases:
  - {name: a, duration: 10, rate: 200}
  - {name: b, duration: 8, rate: 200}
YAML
timeout 150 "$OVERSEER" run "$tmp/restart.yaml" --out "$tmp/restart" --quiet --insecure \
  --bind "tcp://127.0.0.1:$oport" --wait 20 >"$tmp/restart.log" 2>&1 &
ov=$!; pids+=($ov)
start_beacon f-b1 "$oport"; start_beacon f-b2 "$oport"; b2=$bpid
waitfor "$tmp/restart/timeseries.csv" ',a,' 600 && sleep 2
kill -KILL "$(child "$b2")"; wait "$b2" 2>/dev/null
start_beacon f-b2 "$oport"
wait $ov; rc=$?
sleep 1.5 # the devnode's last per-second line
py "a beacon restarted under the same id is logged as a restart (new session)" "
ev = open('$tmp/restart/events.log').read()
assert $rc == 0, 'exit $rc'
assert 'beacon f-b2 restarted (new session' in ev, ev[-2000:]" "$tmp/restart.log"
py "after the restart, timeseries.csv confirms what the devnode applied (within 1 s of traffic)" "
import csv
rows = list(csv.DictReader(open('$tmp/restart/timeseries.csv')))
conf = sum(float(r['confirmed_tps']) * float(r['interval_s']) for r in rows)
applied = $(applied "$tmp/dn1.json")
print('confirmed', conf, 'applied', applied)
assert applied > 2500, applied
assert abs(conf - applied) <= 200, (conf, applied)" "$tmp/restart/events.log"
py "the restarted beacon is idle until the next phase: phase a is marked and ends on time" "
import csv
ev = open('$tmp/restart/events.log').read()
assert 'beacon f-b2 is back without its share of phase \"a\" (a new process)' in ev, ev[-2500:]
a = {r['phase']: r for r in csv.DictReader(open('$tmp/restart/summary.csv'))}['a']
assert float(a['phase_end_s']) - float(a['phase_start_s']) < 10 + 2 + 4, a
# Lost first (the new process is refused while the old one is still heard from), or restarted.
assert ('beacon f-b2 lost' in a['note'] or 'beacon f-b2 restarted' in a['note']) and \
    'lost mid-phase' in a['reason'], a"
py "the phase after the restart counts both beacons (offered and accepted 200 tx/s)" "
import csv
rows = {r['phase']: r for r in csv.DictReader(open('$tmp/restart/summary.csv'))}
b = rows['b']
assert abs(float(b['offered_tps']) - 200) < 5 and float(b['accepted_tps']) > 190, b
assert int(b['beacons']) == 2, b"

# 5-7. Beacons that come back mid-phase without their work (defect 2): the overseer is
# stopped for 7 s, longer than the beacons' lease (5 s), so they stop the phase (their DONE is
# lost) and say hello again. They are idle until the next phase and the phase ends on time;
# the phase is marked (defect 3).
oport=$(freeport)
cat >"$tmp/back.yaml" <<YAML
name: back
nodes: [ws://127.0.0.1:$dport]
beacons: 2
defaults: {drain: 2}
phases:
  - {name: load, duration: 16, rate: 200}
YAML
timeout 150 "$OVERSEER" run "$tmp/back.yaml" --out "$tmp/back" --quiet --insecure \
  --bind "tcp://127.0.0.1:$oport" --wait 20 >"$tmp/back.log" 2>&1 &
ov=$!; pids+=($ov)
start_beacon g-b1 "$oport"; start_beacon g-b2 "$oport"
waitfor "$tmp/back/timeseries.csv" ',load,' 600 && sleep 2
ovc=$(child "$ov"); kill -STOP "$ovc"; sleep 7; kill -CONT "$ovc"
wait $ov; rc=$?
py "beacons back without their work are idle until the next phase" "
ev = open('$tmp/back/events.log').read()
assert $rc == 0, 'exit $rc'
assert 'beacon g-b2 lost the overseer for longer than its lease and said hello again' in ev, ev[-2500:]
# Either each is seen back idle, or both were lost at once and the phase ended at once.
assert 'beacon g-b2 is back without its share' in ev or 'continuing with 0 of 2' in ev, ev[-2500:]" \
  "$tmp/back.log"
py "the phase ends on time: no wait for the idle beacon, no gap in timeseries.csv" "
import csv
s = list(csv.DictReader(open('$tmp/back/summary.csv')))[0]
length = float(s['phase_end_s']) - float(s['phase_start_s'])
print('phase length', length)
assert length < 16, s
t = [float(r['t_s']) for r in csv.DictReader(open('$tmp/back/timeseries.csv'))]
assert max(b - a for a, b in zip(t, t[1:])) <= 1.01, t" "$tmp/back/events.log"
py "a phase that lost a beacon is marked: reason and note in summary.csv, and in the report" "
import csv
s = list(csv.DictReader(open('$tmp/back/summary.csv')))[0]
assert ' of 2 beacons lost mid-phase' in s['reason'], s
assert 'beacon g-b2 lost at' in s['note'] and 'not redistributed' in s['note'], s
html = open('$tmp/back/report.html').read()
assert 'not redistributed' in html" "$tmp/back/events.log"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done

# 8. A flood of undecodable messages (defect 5): a few lines per peer, then one summary line.
oport=$(freeport)
timeout 60 "$OVERSEER" run "$tmp/back.yaml" --out "$tmp/flood" --quiet --insecure --bind "tcp://127.0.0.1:$oport" \
  --wait 4 --beacons 5 >"$tmp/flood.log" 2>&1 &
ov=$!; pids+=($ov)
sleep 0.5
for _ in 1 2 3; do timeout 30 "$HOSTILE" "tcp://127.0.0.1:$oport" >>"$tmp/tool.log" 2>&1; done
wait $ov
py "undecodable messages are logged at most 5 per peer per 10 s, then counted in one line" "
import os, re
ev = open('$tmp/flood/events.log').read()
lines = [l for l in ev.splitlines() if 'bad message from' in l]
more = [int(m) for m in re.findall(r'\.\.\. ([0-9]+) more bad messages from 127\.0\.0\.1', ev)]
print(len(lines), more)
assert 3 <= len(lines) <= 15 and sum(more) >= 1500, (len(lines), more)
assert os.path.getsize('$tmp/flood/events.log') < 20000" "$tmp/flood/events.log" "$tmp/tool.log"

# 9-11. The small ones (defect 6).
"$BEACON" --overseer --help >"$tmp/help.out" 2>&1; hrc=$?
py "beacon --overseer --help exits 0 with the daemon's help" "
assert $hrc == 0 and 'usage: beacon --overseer' in open('$tmp/help.out').read()" "$tmp/help.out"
python3 - "$tmp" <<'PY'
import random, sys
random.seed(13)
d = sys.argv[1]
for i in range(5):
    open(f'{d}/junk{i}.yaml', 'wb').write(bytes(random.randrange(1, 256) for _ in range(4096)))
open(f'{d}/utf8.yaml', 'wb').write(b'name: "bad \xc3\x28 name"\nnodes: [ws://127.0.0.1:1]\nphases: [{duration: 1, rate: 1}]\n')
open(f'{d}/deep.yaml', 'w').write('name: deep\nnodes: ' + '[' * 100000 + '\n')
with open(f'{d}/big.keys', 'w') as f:
    f.write('# ten megabytes\n' + ('x' * 99 + '\n') * 100000)
PY
py "junk and invalid UTF-8 are reported precisely; deep nesting is refused cheaply" "
import resource, subprocess
for i in range(5):
    p = subprocess.run(['$OVERSEER', 'run', '$tmp/junk%d.yaml' % i], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and 'empty scenario' not in p.stderr and 'junk' in p.stderr, p.stderr
p = subprocess.run(['$OVERSEER', 'run', '$tmp/utf8.yaml'], capture_output=True, text=True, timeout=10)
assert 'utf8.yaml:1:12: not UTF-8 text (byte 0xc3)' in p.stderr, p.stderr
before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
p = subprocess.run(['$OVERSEER', 'run', '$tmp/deep.yaml'], capture_output=True, text=True, timeout=10)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(p.stderr, rss, 'KiB')
assert 'deep.yaml:2:40: nesting deeper than 32 levels' in p.stderr, p.stderr
assert rss < 32 * 1024, rss"
py "a 10 MB key file is refused at once, before any parsing" "
import subprocess, time
t = time.monotonic()
p = subprocess.run(['$DEVNODE', '--accounts', '$tmp/big.keys'], capture_output=True, text=True, timeout=10)
t = time.monotonic() - t
assert p.returncode != 0 and 'file too large' in p.stderr and t < 2, (p.stderr, t)"

# 12-14. A --local run whose overseer is killed mid-phase: its CSV stays intact and
# `overseer report` marks it interrupted; one stopped by SIGTERM says so itself; a second
# --local run's totals equal what its devnodes applied.
cat >"$tmp/local.yaml" <<YAML
name: local
beacons: 2
local: {devnodes: 1, block_interval: 0.5}
defaults: {drain: 2}
phases:
  - {name: load, duration: 20, rate: 200}
YAML
"$OVERSEER" run "$tmp/local.yaml" --local --out "$tmp/killed" --quiet --bind "tcp://127.0.0.1:$(freeport)" \
  >"$tmp/killed.log" 2>&1 &
ov=$!; pids+=($ov)
for _ in $(seq 600); do [ "$(cat "$tmp/killed/timeseries.csv" 2>/dev/null | grep -c .)" -ge 5 ] && break; sleep 0.1; done
kill -KILL $ov; wait $ov 2>/dev/null
sleep 1
cp "$tmp/killed/manifest.json" "$tmp/killed-manifest.json"
"$OVERSEER" report "$tmp/killed" >"$tmp/report.log" 2>&1; rrc=$?
"$OVERSEER" run "$tmp/local.yaml" --local --out "$tmp/termed" --quiet --bind "tcp://127.0.0.1:$(freeport)" \
  >"$tmp/termed.log" 2>&1 &
ov=$!; pids+=($ov)
for _ in $(seq 600); do [ "$(cat "$tmp/termed/timeseries.csv" 2>/dev/null | grep -c .)" -ge 4 ] && break; sleep 0.1; done
kill -TERM $ov; wait $ov; trc=$?
py "a killed run: its CSV is intact; overseer report marks its manifest interrupted" "
import csv, json
assert json.load(open('$tmp/killed-manifest.json'))['result'] == 'running'
rows = list(csv.reader(open('$tmp/killed/timeseries.csv')))
assert rows[0][0] == 't_s' and len(rows) >= 5 and all(len(r) == len(rows[0]) for r in rows[1:])
assert $rrc == 0, open('$tmp/report.log').read()
m = json.load(open('$tmp/killed/manifest.json'))
assert m['result'] == 'interrupted', m['result']" "$tmp/report.log"
py "a run stopped with SIGTERM says interrupted in its manifest" "
import json
m = json.load(open('$tmp/termed/manifest.json'))
assert m['result'] == 'interrupted' and 'ended' in m, (m['result'], $trc)" "$tmp/termed.log"
sed -i 's/duration: 20/duration: 6/' "$tmp/local.yaml"
timeout 120 "$OVERSEER" run "$tmp/local.yaml" --local --out "$tmp/again" --quiet --bind "tcp://127.0.0.1:$(freeport)" \
  >"$tmp/again.log" 2>&1; rc=$?
py "the next --local run completes and its totals equal what its devnode applied" "
import csv, glob, json
assert $rc == 0, 'exit $rc'
rows = list(csv.DictReader(open('$tmp/again/timeseries.csv')))
conf = sum(float(r['confirmed_tps']) * float(r['interval_s']) for r in rows)
applied = sum(json.loads(l)['applied_tx'] for f in glob.glob('$tmp/again/devnode-*.log')
              for l in open(f) if l.startswith('{'))
assert round(conf) == applied == 1200, (conf, applied)
assert json.load(open('$tmp/again/manifest.json'))['result'] == 'completed'" "$tmp/again.log"
exit $((bad > 0))
