#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds, and
# runs the real-user scenario (shortened to about a minute) with local
# devnodes and beacons on loopback, with the live dashboard on
# http://127.0.0.1:8089/, then shows the summary. Results are in
# out/quickstart-<time>/ (timeseries.csv, beacons.csv, summary.csv,
# events.log, manifest.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

out=out/quickstart-$(date -u +%Y%m%dT%H%M%S)
mkdir -p out
# --local serves the live dashboard (its URL is the first line the overseer
# prints; a busy port is said and skipped); DASH_HOLD=S keeps it up S
# seconds after the run.
echo "== live dashboard: http://127.0.0.1:8089/ (while the run goes on)"
build/release/overseer/overseer run scenarios/real-user.yaml --local --scale 0.05 --out "$out" \
  --dashboard-hold "${DASH_HOLD:-0}"

echo
echo "== summary ($out/summary.csv)"
python3 - "$out/summary.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = [("phase", "phase"), ("offered_tps", "offered/s"), ("confirmed_tps", "confirmed/s"),
        ("rejected_tx", "rejected"), ("ack_p99_ms", "ack p99 ms"),
        ("inclusion_p99_ms", "incl p99 ms"), ("beacon_cpu_max_pct", "cpu max %"),
        ("verdict", "verdict")]
w = [max(len(h), *(len(r.get(k, "")) for r in rows)) for k, h in cols]
print("  ".join(h.ljust(n) for (k, h), n in zip(cols, w)))
for r in rows:
    print("  ".join(r.get(k, "").ljust(n) for (k, h), n in zip(cols, w)))
PY
