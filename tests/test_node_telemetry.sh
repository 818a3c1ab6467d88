#!/usr/bin/env bash
# Target-node telemetry end to end (issue 16 item 3, TAP): `overseer run
# --local` with a 3-devnode network (one producer, two followers), 1 s
# blocks. nodes.csv must show every node's head within 2 blocks of the
# producer's, its irreversible block, a block interval of about 1 s and
# blocks holding the load's transactions; a follower stopped (SIGSTOP) for
# 6 s must show as stalled (or behind) during those seconds and recover
# after. About 25 s. Args: OVERSEER SRCDIR
# Every run is bounded by `timeout`; the only process signalled by pid is a
# devnode of the overseer this script started (tests/procs.py finds it).
set -u
OVERSEER=$1
SRC=$2
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
pids=()
victim=''
cleanup() {
  [ -n "$victim" ] && kill -CONT "$victim" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

echo "1..4"
cat >"$tmp/tel.yaml" <<YAML
name: tel
beacons: 1
local: {devnodes: 3, capacity: 300, block_interval: 1}
defaults: {mix: {transfer: 100}, drain: 3, warmup: 1, cooldown: 1}
phases:
  - {name: load, duration: 18, rate: 100, nodes: all}
YAML
timeout 120 "$OVERSEER" run "$tmp/tel.yaml" --local --out "$tmp/r" --quiet \
  --bind "tcp://127.0.0.1:$port" >"$tmp/run.log" 2>&1 &
tpid=$!
pids+=("$tpid")
dport=''
for _ in $(seq 1 300); do   # up to 30 s for the load to start
  if grep -q '"accepted":[1-9]' "$tmp/r/devnode-3.log" 2>/dev/null; then
    dport=$(sed -n 's#^listening on ws://127.0.0.1:\([0-9]*\)$#\1#p' "$tmp/r/devnode-3.log")
    break
  fi
  sleep 0.1
done
sleep 5
[ -n "$dport" ] && victim=$(python3 "$SRC/tests/procs.py" "$tpid" "devnode .*--listen 127.0.0.1:$dport " | head -n 1)
stop_ms=0 cont_ms=0
if [ -n "$victim" ]; then
  stop_ms=$(date +%s%3N)
  kill -STOP "$victim"
  sleep 6
  kill -CONT "$victim"
  cont_ms=$(date +%s%3N)
fi
wait "$tpid"
rc=$?
NODES="
import csv
rows = list(csv.DictReader(open('$tmp/r/nodes.csv')))
by = {}
for r in rows:
    by.setdefault(int(r['wall_unix_ms']), {})[int(r['node'])] = r
secs = sorted(by)
"
py "nodes.csv: before the stop every node answers, its head within 2 blocks of the producer's, LIB present (<= head), participation 100 %, no fork" "$NODES
assert $rc == 0, 'exit $rc'
assert '$victim' != '', 'devnode-3 not found (port $dport)'
before = [s for s in secs if s < $stop_ms - 500]
assert len(before) >= 4, before
for s in before:
    for k in (1, 2, 3):
        r = by[s][k]
        assert r['head_block'] != '', (s, k, r, $stop_ms)
    p = int(by[s][1]['head_block'])
    for k in (1, 2, 3):
        r = by[s][k]
        assert r['head_block'] != '' and r['lib_block'] != '', (s, k, r, $stop_ms)
        assert abs(int(r['head_block']) - p) <= 2 and int(r['lib_block']) <= int(r['head_block']), (s, k, r)
        assert r['participation_pct'] == '100.0' and r['forked'] == '0' and r['stalled'] == '0', (s, k, r)
print('e.g.', [(k, by[before[-1]][k]['head_block'], by[before[-1]][k]['lib_block']) for k in (1, 2, 3)])
" "$tmp/r/nodes.csv" "$tmp/run.log"
py "nodes.csv: block interval about 1 s, blocks read each second with the load's transactions (fullness > 0)" "$NODES
steady = [s for s in secs if s < $stop_ms - 500][1:]
iv = [float(by[s][k]['block_interval_s']) for s in steady for k in (1, 2, 3) if by[s][k]['block_interval_s']]
assert iv and all(0.5 <= v <= 2 for v in iv) and 0.8 <= sum(iv) / len(iv) <= 1.25, iv
txs = [int(by[s][1]['block_txs']) for s in steady]
assert sum(txs) > 0.5 * 100 * len(steady), txs
assert all(float(by[s][1]['block_fill_pct'] or 0) > 0 for s in steady if int(by[s][1]['blocks']) > 0)
print('block interval mean', round(sum(iv) / len(iv), 3), 'txs per second', txs)
" "$tmp/r/nodes.csv"
py "nodes.csv: the stopped follower (devnode-3) shows as stalled or behind while stopped, the others do not; it is back within 2 blocks after" "$NODES
during = [s for s in secs if $stop_ms + 4000 <= s <= $cont_ms]
assert during, (secs, $stop_ms, $cont_ms)
for s in during:
    r = by[s][3]
    behind = r['behind_blocks'] != '' and int(r['behind_blocks']) > 2
    assert r['stalled'] == '1' or behind, (s, r)
    for k in (1, 2):
        assert by[s][k]['stalled'] == '0' and by[s][k]['head_block'] != '', (s, k, by[s][k])
after = [s for s in secs if s > $cont_ms + 4000]
assert after, 'no second after the stop'
r = by[after[-1]][3]
assert r['head_block'] != '' and int(r['behind_blocks']) <= 2 and r['stalled'] == '0', r
print('while stopped', [(by[s][3]['head_block'], by[s][3]['behind_blocks'], by[s][3]['stalled']) for s in during])
" "$tmp/r/nodes.csv"
py "report.html: the Target nodes section names devnode-3's node as stalled and only it" "
import html, re
s = open('$tmp/r/report.html').read()
i = s.index('id=\"target-nodes\"')
text = html.unescape(re.sub(r'<[^>]+>', ' ', s[i:s.index('</section>', i)]))
line = [l for l in text.split('\n') if 'stalled.' in l]
assert line and 'node 3 (ws://127.0.0.1:$dport)' in line[0] and 'node 1 ' not in line[0] and 'node 2 ' not in line[0], text
print(' '.join(line[0].split()))
" "$tmp/r/report.html"
tap_status
