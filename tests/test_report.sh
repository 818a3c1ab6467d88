#!/usr/bin/env bash
# `overseer report` and report.html (TAP). Args: OVERSEER
# A short local run (one devnode, one beacon, two phases) writes the report;
# the page is checked as text (self-contained, plots with data, escaping,
# deterministic), bad input is checked for clear errors, and the page is
# rendered in headless Chromium (installed here when missing and possible,
# otherwise those checks are skipped). Every process is bounded by `timeout`.
set -u
OVERSEER=$1
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
# fails DESC WANT CMD...: the command must fail (exit 1) and say WANT (a regex) on stderr.
fails() { local desc=$1 want=$2; shift 2
  timeout 60 "$@" >"$tmp/fail.out" 2>"$tmp/fail.err"; local rc=$?
  if [ $rc -eq 1 ] && grep -Eq -- "$want" "$tmp/fail.err"; then ok "$desc"
  else echo "exit $rc" >>"$tmp/fail.err"; notok "$desc" "$tmp/fail.err"; return 1; fi; }

echo "1..15"

# 1. A short local run writes report.html by itself.
cat >"$tmp/rep.yaml" <<'YAML'
# <script>alert("x")</script> & 'quotes' stay text
name: report-test
beacons: 1
local: {devnodes: 1, block_interval: 0.5, capacity: 200}
defaults: {mix: {transfer: 80, limit_order: 20}, drain: 1}
phases:
  - name: low
    duration: 2
    rate: 50
  - name: high
    duration: 2
    rate: 300
YAML
R=$tmp/run
timeout 120 "$OVERSEER" run "$tmp/rep.yaml" --local --out "$R" --quiet \
  --bind "tcp://127.0.0.1:$(freeport)" >"$tmp/run.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -s "$R/report.html" ] && grep -q 'report: .*report.html' "$R/events.log"; then
  ok "a run writes report.html at its end"
else
  echo "exit $rc" >>"$tmp/run.log"; notok "a run writes report.html at its end" "$tmp/run.log" "$R/events.log"
  for i in $(seq 2 15); do notok "skipped: no run"; done
  exit 1
fi
H=$R/report.html

# 2. Self-contained: nothing fetched from anywhere.
py "report.html references no external resource (no script, link, src, url(), import)" "
import re
h = open('$H').read()
assert h.startswith('<!DOCTYPE html>'), h[:40]
for bad in ('<script', '<link', ' src=', 'url(', '@import', 'http://', 'https://', '<iframe', '<img'):
    assert bad not in h.lower(), bad
for href in re.findall(r'href=\"([^\"]*)\"', h):
    assert href.startswith('#'), href" "$H"

# 3. One SVG per plot, each with a title and drawn data.
py "seven plots with their titles, each with a path of data" "
import re
h = open('$H').read()
svgs = re.findall(r'<svg class=\"chart\" id=\"([a-z]+)\".*?</svg>', h, re.S)
assert svgs == ['throughput', 'latency', 'failures', 'cpu', 'targets', 'nodes', 'backlog'], svgs
titles = ['Throughput: offered vs sent vs confirmed', 'Latency percentiles (log scale)',
          'Failures by category', 'Beacon CPU', 'Per node, as the beacons saw it',
          'Per-node load (devnodes)',
          'Backlog: transactions waiting']
for t in titles:
    assert '<h3>' + t + '</h3>' in h, t
for body in re.findall(r'<svg class=\"chart\".*?</svg>', h, re.S):
    paths = re.findall(r'<path d=\"(M[^\"]*)\"', body)
    assert paths, body[:300]
    assert max(len(re.findall('[ML]', d)) for d in paths) >= 3, paths
    assert 'run time (s)' in body and '<title' in body
for phase in ('>low<', '>high<'):
    assert h.count(phase) >= 6, phase  # a label in every plot
assert 'devnode-1 applied' in h and 'local-1' in h" "$H"

# 4. The summary and the manifest are on the page.
py "summary per phase, verdicts and the run manifest (scenario text, chain, beacons, seed)" "
import csv, json
h = open('$H').read()
m = json.load(open('$R/manifest.json'))
rows = list(csv.DictReader(open('$R/summary.csv')))
assert [r['phase'] for r in rows] == ['low', 'high'], rows
for r in rows:
    assert 'badge ' + r['verdict'] in h, r['verdict']
for s in ('Summary per phase', 'Run manifest', m['run_id'], m['chain']['chain_id'],
          'maximum_block_size', 'Seed', 'local-1', 'name: report-test', 'Events'):
    assert s in h, s" "$H"

# 5. Text from the files is escaped.
py "text from the files is HTML-escaped" "
h = open('$H').read()
assert '<script>' not in h
assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;' in h" "$H"

# 6. Deterministic: `overseer report` writes the same bytes again; summary.csv is kept.
cp "$H" "$tmp/first.html"
sum_before=$(sha256sum <"$R/summary.csv")
if timeout 60 "$OVERSEER" report "$R" >"$tmp/rep.out" 2>&1 && cmp -s "$H" "$tmp/first.html" &&
   [ "$(sha256sum <"$R/summary.csv")" = "$sum_before" ]; then
  ok "overseer report DIR writes the same page again and leaves summary.csv alone"
else
  notok "overseer report DIR writes the same page again and leaves summary.csv alone" "$tmp/rep.out"
  diff "$tmp/first.html" "$H" | head -n 20 | sed 's/^/# /'
fi

# 7. Without summary.csv: regenerated from timeseries.csv, and the page says so.
cp -r "$R" "$tmp/nosum"
rm "$tmp/nosum/summary.csv" "$tmp/nosum/report.html"
timeout 60 "$OVERSEER" report "$tmp/nosum" >"$tmp/nosum.out" 2>&1
py "a missing summary.csv is regenerated per phase from timeseries.csv" "
import csv
rows = list(csv.DictReader(open('$tmp/nosum/summary.csv')))
orig = list(csv.DictReader(open('$R/summary.csv')))
assert [r['phase'] for r in rows] == ['low', 'high'], rows
ts = list(csv.DictReader(open('$R/timeseries.csv')))
for r in rows:
    sent = round(sum(float(t['sent_tps']) * float(t['interval_s']) for t in ts if t['phase'] == r['phase']))
    assert int(r['sent_tx']) == sent, (r['sent_tx'], sent)
    assert 'regenerated' in r['note'] and r['ack_p50_ms'] == ''
assert [r['verdict'] for r in rows] == [r['verdict'] for r in orig], (rows, orig)
assert 'summary.csv was missing' in open('$tmp/nosum/report.html').read()" "$tmp/nosum.out"

# 8. Remote nodes: no devnode logs, and the page says there is no per-node data.
cp -r "$R" "$tmp/remote"
rm "$tmp/remote"/devnode-*.log
echo '2026-01-01T00:00:00 9.000 <img src=http://example.invalid/x.png> hostile event' >>"$tmp/remote/events.log"
timeout 60 "$OVERSEER" report "$tmp/remote" >"$tmp/remote.out" 2>&1
cp -r "$tmp/remote" "$tmp/remote.nond"
rm "$tmp/remote.nond/nodes.csv"
timeout 60 "$OVERSEER" report "$tmp/remote.nond" >>"$tmp/remote.out" 2>&1
py "without devnode logs: the beacons' per-node plot only, no node-side one; hostile event text escaped" "
h = open('$tmp/remote/report.html').read()
assert 'No node-side data for remote nodes' in h
assert 'id=\"nodes\"' not in h and 'id=\"targets\"' in h
assert 'node 1 accepted (ws://127.0.0.1:' in h and 'node 1 confirmed' in h
cp = open('$tmp/remote.nond/report.html').read()
assert 'No nodes.csv in this directory' in cp and 'id=\"targets\"' not in cp
assert '<img' not in h and '&lt;img src=http://example.invalid/x.png&gt;' in h" "$tmp/remote.out"

# 9-11. Bad input: a clear error naming the file, exit 1, no page written.
fails "a missing directory is an error naming it" "$tmp/nonexistent: No such file" \
  "$OVERSEER" report "$tmp/nonexistent"
cp -r "$R" "$tmp/trunc"
rm "$tmp/trunc/report.html"
# Cut inside the last row (a fixed byte count could remove exactly one
# short row and leave a valid file: a drain row can be 25 bytes long).
python3 -c "
d = open('$R/timeseries.csv', 'rb').read()
start = d.rstrip(b'\\n').rfind(b'\\n') + 1
open('$tmp/trunc/timeseries.csv', 'wb').write(d[:start + max(1, (len(d) - start) // 2)])"
tail -c 160 "$R/timeseries.csv" | od -c | sed 's/^/# whole: /' >"$tmp/trunc.tails"
tail -c 160 "$tmp/trunc/timeseries.csv" | od -c | sed 's/^/# cut: /' >>"$tmp/trunc.tails"
fails "a timeseries.csv cut short is an error naming the file and line" \
  "timeseries.csv: line [0-9]+: the last row has no line end \\(truncated\\?\\)" \
  "$OVERSEER" report "$tmp/trunc" || cat "$tmp/trunc.tails" >&2
python3 -c "
import sys
lines = open('$R/beacons.csv').read().split('\n')
lines[2] = lines[2][:40]
open('$tmp/trunc/beacons.csv', 'w').write('\n'.join(lines))"
cp "$R/timeseries.csv" "$tmp/trunc/timeseries.csv"
fails "a beacons.csv row with missing fields is an error naming the file and line" \
  "beacons.csv: line 3 has [0-9]+ fields, the header has [0-9]+" "$OVERSEER" report "$tmp/trunc"
cp "$R/beacons.csv" "$tmp/trunc/beacons.csv"
head -c 100 "$R/manifest.json" >"$tmp/trunc/manifest.json"
fails "a truncated manifest.json is an error naming it" "manifest.json: JSON" \
  "$OVERSEER" report "$tmp/trunc"
if [ -e "$tmp/trunc/report.html" ]; then notok "no page is written from bad input"
else ok "no page is written from bad input"; fi

# 13-14. Rendered by headless Chromium: the screenshot shows the plots, the DOM has them.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "# installing chromium for the rendering checks"
  { DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends chromium ||
    { timeout 300 apt-get update && DEBIAN_FRONTEND=noninteractive timeout 600 \
        apt-get install -y --no-install-recommends chromium; }; } >"$tmp/apt.log" 2>&1
  CHROMIUM=$(command -v chromium || true)
fi
if [ -z "$CHROMIUM" ]; then
  skip "headless Chromium screenshot shows the plots" "chromium is not installed and cannot be installed here"
  skip "headless Chromium DOM has the plots" "chromium is not installed and cannot be installed here"
  exit 0
fi
chrome() { timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d -p "$tmp")" --window-size=1280,2400 "$@" "file://$H"; }
chrome --screenshot="$tmp/shot.png" >"$tmp/chrome.log" 2>&1
py "headless Chromium screenshot is not blank and shows the plot lines" "
import sys; sys.path.insert(0, '$(cd "$(dirname "$0")" && pwd)'); import png
w, h, rows = png.load('$tmp/shot.png')
colours = {}
green = blue = 0
for line in rows:
    for x in range(0, len(line), 3):
        px = line[x:x + 3]; colours[px] = colours.get(px, 0) + 1
# the confirmed (#2ca02c) and offered (#1f77b4) lines, give or take anti-aliasing
for px, k in colours.items():
    if abs(px[0] - 0x2c) + abs(px[1] - 0xa0) + abs(px[2] - 0x2c) < 30: green += k
    if abs(px[0] - 0x1f) + abs(px[1] - 0x77) + abs(px[2] - 0xb4) < 30: blue += k
top = max(colours.values())
assert len(colours) > 50 and top < 0.95 * w * h, (len(colours), top, w * h)
assert green > 100 and blue > 100, (green, blue)
print(w, h, len(colours), green, blue)" "$tmp/chrome.log"
chrome --dump-dom >"$tmp/dom.html" 2>"$tmp/chrome.log"
py "headless Chromium DOM has the seven plots with their paths" "
import re
d = open('$tmp/dom.html').read()
ids = re.findall(r'<svg class=\"chart\" id=\"([a-z]+)\"', d)
assert ids == ['throughput', 'latency', 'failures', 'cpu', 'targets', 'nodes', 'backlog'], ids
assert len(re.findall(r'<path d=\"M', d)) >= 12
assert 'Stress test report: report-test' in d" "$tmp/chrome.log"
tap_status
