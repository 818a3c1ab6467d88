#!/usr/bin/env bash
# The dashboard against real clients (TAP, suite slow). Args: OVERSEER SRCDIR
#  - a real Prometheus server (Debian's prometheus) scrapes a --local run on
#    loopback; its HTTP query API returns the confirmed totals of
#    summary.csv and timeseries.csv;
#  - headless Chromium (Debian's chromium) loads the page mid-run: two
#    screenshots a few seconds apart differ where the numbers are and not in
#    the title, the DOM holds live values and plots, and its network log
#    shows no request to anything but the overseer.
# Installs prometheus and chromium with apt-get when missing (root only;
# each check is skipped when that cannot be done). Every process is bounded
# by `timeout` and killed on exit by its pid.
set -u
OVERSEER=$1 SRC=$2
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
need() { # PROGRAM PACKAGE: installs PACKAGE when PROGRAM is missing and we may
  command -v "$1" >/dev/null && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  echo "# installing $2"
  { DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y --no-install-recommends "$2" ||
    { timeout 300 apt-get update && DEBIAN_FRONTEND=noninteractive timeout 900 \
        apt-get install -y --no-install-recommends "$2"; }; } >"$tmp/apt-$2.log" 2>&1
  command -v "$1" >/dev/null
}

echo "1..4"
have_prom=0 have_chrome=0
need prometheus prometheus && have_prom=1
need chromium chromium && have_chrome=1

cat >"$tmp/slow.yaml" <<YAML
name: dash-slow
beacons: 2
local: {devnodes: 2, block_interval: 0.5}
defaults: {mix: {transfer: 80, limit_order: 20}, drain: 2, warmup: 0, cooldown: 0}
phases:
  - name: warm
    duration: 5
    rate: 100
  - name: load
    duration: 60
    rate: {ramp: [50, 300]}
YAML
dport=$(freeport) pport=$(freeport)
D="http://127.0.0.1:$dport"
if [ $have_prom = 1 ]; then
  cat >"$tmp/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 900ms}
scrape_configs:
  - job_name: bss
    static_configs: [{targets: ['127.0.0.1:$dport']}]
YAML
  timeout 600 prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
  pids+=($!)
fi
timeout 400 "$OVERSEER" run "$tmp/slow.yaml" --local --out "$tmp/run" --quiet --bind "tcp://127.0.0.1:$(freeport)" \
  --dashboard "$dport" --dashboard-hold 60 >"$tmp/run.log" 2>&1 &
ov=$!; pids+=($ov)
# mid-run: the second phase is under way
for _ in $(seq 600); do grep -q 'phase 2 "load"' "$tmp/run/events.log" 2>/dev/null && break; sleep 0.1; done
sleep 4

if [ $have_chrome = 1 ]; then
  # One browser, driven over the DevTools protocol (tests/dash_cdp.py): two
  # screenshots 4 s apart, then the live DOM; its network log on the side.
  cport=$(freeport)
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --host-resolver-rules="MAP * ~NOTFOUND , EXCLUDE 127.0.0.1" \
    --remote-debugging-port="$cport" --log-net-log="$tmp/net1.json" about:blank >"$tmp/chrome1.log" 2>&1 &
  chromepid=$!; pids+=($chromepid)
  timeout 100 python3 "$SRC/tests/dash_cdp.py" "$cport" "$D/" "$tmp" 4 >>"$tmp/chrome1.log" 2>&1
  curl -s -m 5 "$D/api/history" | grep -q '"result":"running"' && midrun=1 || midrun=0
  kill $chromepid 2>/dev/null; wait $chromepid 2>/dev/null
  cp "$tmp/chrome1.log" "$tmp/chrome3.log"
  py "two screenshots a few seconds apart differ in the cards (the numbers), not in the title" "
import sys; sys.path.insert(0, '$SRC/tests'); import png
a, b = png.load('$tmp/shot1.png'), png.load('$tmp/shot2.png')
assert a[:2] == b[:2] and a[0] == 1280, (a[:2], b[:2])
title = png.diff(a, b, 10, 44, 20, 400)     # 'bitshares-stress live'
cards = png.diff(a, b, 200, 560, 40, 1240)  # the Now section's figures
print(title, cards)
assert title == 0 and cards > 200, (title, cards)
assert len(set(a[2][400])) > 10" "$tmp/chrome1.log"
  py "the DOM holds live values (a number in every figure), the plots and the beacons" "
import re
d = open('$tmp/dom.html').read()
assert $midrun == 1, 'the run ended before the checks'
def card(i):
    m = re.search(r'id=\"v-' + i + r'\">([^<]*)<', d)
    assert m, i
    return m.group(1)
for i in ('offered', 'sent', 'accepted', 'confirmed'):
    assert re.fullmatch(r'[0-9.]+k?', card(i)) and float(card(i).rstrip('k')) > 0, (i, card(i))
assert card('phase') == 'load', card('phase')
assert re.search(r'id=\"v-verdict\">(ok|node-bound|beacon-bound)<', d)
for p in ('plot-recent', 'plot-latency', 'plot-run'):
    seg = d[d.index('id=\"' + p + '\"'):]
    seg = seg[:seg.index('</svg>')]
    assert len(re.findall(r'<path class=\"line\"', seg)) >= 3, p
assert d.count('<td>local-') >= 2 and 'ws://127.0.0.1:' in d
# the nodes table's chain columns (issue 16): a head, a LIB and a state per node
nodes = d[d.index('id=\"nodes\"'):]
nodes = nodes[:nodes.index('</table>')]
rows = re.findall(r'<tr><td>ws://[^<]*</td>(.*?)</tr>', nodes)
assert len(rows) == 2, nodes[:2000]
for r in rows:
    cells = re.findall(r'<td[^>]*>([^<]*)</td>', r)
    assert re.fullmatch(r'[0-9]+', cells[6]) and re.fullmatch(r'[0-9]+', cells[7]), cells
    assert cells[10] in ('ok', 'behind', 'stalled', 'forked', 'no answer'), cells" "$tmp/chrome3.log"
  py "the page made no request outside the overseer (Chromium's network log)" "
import json, re
text = open('$tmp/net1.json').read().rstrip()
try:
    log = json.loads(text)
except ValueError:  # the browser was stopped before it closed its log
    log = json.loads(text.rstrip(',') + (']}' if not text.endswith(']}') else ''))
# The page's requests: those it initiated and those in its own context (the
# network isolation key of its site); Chromium's own background requests
# (updates, sign-in) have neither.
types = {v: k for k, v in log['constants']['logEventTypes'].items()}
page = set()
for e in log['events']:
    p = e.get('params', {})
    if types.get(e['type']) == 'URL_REQUEST_START_JOB' and 'url' in p:
        if p.get('initiator') == '$D' or p.get('network_isolation_key', '').startswith('http://127.0.0.1 '):
            page.add(p['url'])
other = [u for u in page if not u.startswith('$D/')]
assert page and not other, (sorted(page), other)
assert any('/events' in u for u in page) and any('/api/history' in u for u in page), page
print(sorted(page))" "$tmp/chrome1.log"
else
  skip "two screenshots differ where the numbers are" "chromium is not installed and cannot be installed here"
  skip "the DOM holds live values and plots" "chromium is not installed and cannot be installed here"
  skip "no request outside the overseer" "chromium is not installed and cannot be installed here"
fi

# The run ends; while the dashboard holds, Prometheus has scraped the end.
for _ in $(seq 600); do
  curl -s -m 2 "$D/metrics" | grep -q '^bss_run_ended 1$' && break
  kill -0 $ov 2>/dev/null || break
  sleep 0.5
done
if [ $have_prom = 1 ]; then
  sleep 4
  q() { curl -s -m 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
  { q 'sum(bss_confirmed_transactions_total)'; echo; q 'sum(bss_phase_window_confirmed_transactions)'; echo;
    q 'max(bss_run_ended)'; echo; q 'count(up{job="bss"} == 1)'; echo; } >"$tmp/prom.out"
  py "Prometheus scraped the run: its query API gives the confirmed totals of timeseries.csv and summary.csv" "
import csv, json
res = [json.loads(l) for l in open('$tmp/prom.out') if l.strip()]
val = [float(r['data']['result'][0]['value'][1]) for r in res]
rows = list(csv.DictReader(open('$tmp/run/timeseries.csv')))
summ = list(csv.DictReader(open('$tmp/run/summary.csv')))
conf_ts = round(sum(float(r['confirmed_tps']) * float(r['interval_s']) for r in rows))
conf_sum = sum(int(r['confirmed_tx']) for r in summ)
print(val, conf_ts, conf_sum)
assert val[2] == 1 and val[3] == 1, val
assert val[0] == conf_ts and val[1] == conf_sum and conf_ts > 5000, (val, conf_ts, conf_sum)" "$tmp/prom.log" "$tmp/prom.out"
else
  skip "Prometheus scraped the run and its query API agrees with summary.csv" "prometheus is not installed and cannot be installed here"
fi
kill -INT $ov; wait $ov
echo "# $((n - bad)) passed, $bad failed"
[ $bad -eq 0 ]
