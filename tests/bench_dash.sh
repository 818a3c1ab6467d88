#!/usr/bin/env bash
# Dashboard benchmark (issue 15): the overseer's CPU while it aggregates N
# simulated beacons at 1 Hz, with the dashboard serving CLIENTS event
# streams and a 1 Hz /metrics scrape, against the same run without a
# dashboard. Target: at most 1.2x the CPU of the run without it.
#
# Each run is `overseer run` with a one-phase scenario (3 nodes on port 9
# of 127.0.0.1-3, never contacted; 2000 tx/s per beacon for SECS s) and ONE
# bench_overseer process simulating N beacons (--insecure: ZeroMQ without
# CURVE, so that the figure is the overseer's own work). The overseer's
# utime+stime (every thread: the dashboard's are in the same process) is
# taken over the steady part of the phase. The runs alternate, without and
# with, ROUNDS times; the ratio of the medians is judged. The clients also
# check what they got: every stream saw every second of the run.
#
# Args: OVERSEER SIM SRCDIR [SECS] [N] [CLIENTS] [ROUNDS]
set -u
OVERSEER=$(readlink -f "$1") SIM=$(readlink -f "$2") SRC=$3
SECS=${4:-16} N=${5:-500} CLIENTS=${6:-50} ROUNDS=${7:-2}
RATE=2000 WARM=3 COOL=4
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: files kept in $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
child() { local c=""; for _ in $(seq 400); do c=$(pgrep -P "$1" | head -n 1); [ -n "$c" ] && break; sleep 0.05; done; echo "$c"; }

# run_one WITH(0|1) TAG: prints "cpu_pct rows streams_ok scrapes"
run_one() {
  local with=$1 d="$tmp/$2" port dport ovt simt ov sim dargs=()
  mkdir -p "$d"
  port=$(freeport); dport=$(freeport)
  cat >"$d/scen.yaml" <<YAML
name: dashbench
nodes: [ws://127.0.0.1:9, ws://127.0.0.2:9, ws://127.0.0.3:9]
beacons: $N
defaults: {drain: 1}
phases:
  - name: load
    duration: $SECS
    rate: $((N * RATE))
YAML
  [ "$with" = 1 ] && dargs=(--dashboard "127.0.0.1:$dport")
  timeout $((SECS + 120)) "$OVERSEER" run "$d/scen.yaml" --out "$d/out" --wait 60 --quiet \
    --bind "tcp://127.0.0.1:$port" --insecure "${dargs[@]}" >"$d/ov.log" 2>&1 &
  ovt=$!; pids+=("$ovt")
  timeout $((SECS + 150)) "$SIM" run --endpoint "tcp://127.0.0.1:$port" --beacons "$N" --insecure \
    --max-time $((SECS + 130)) >"$d/sim.out" 2>"$d/sim.log" &
  simt=$!; pids+=("$simt")
  ov=$(child "$ovt"); sim=$(child "$simt")
  if [ "$with" = 1 ]; then
    for _ in $(seq 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$dport/metrics" && break; sleep 0.1; done
    for i in $(seq "$CLIENTS"); do
      timeout $((SECS + 100)) python3 "$SRC/tests/dash_client.py" events "http://127.0.0.1:$dport/events" \
        "$d/ev.$i" --timeout $((SECS + 90)) >/dev/null 2>&1 &
      pids+=($!)
    done
    ( while kill -0 "$ov" 2>/dev/null; do
        curl -s -m 2 -o "$d/metrics" -w '%{http_code}\n' "http://127.0.0.1:$dport/metrics" >>"$d/scrapes"
        sleep 1
      done ) &
    pids+=($!)
  fi
  for _ in $(seq $(((SECS + 90) * 10))); do
    [ "$(lines "$d/out/timeseries.csv")" -gt "$WARM" ] && break
    kill -0 "$ov" 2>/dev/null || break
    sleep 0.1
  done
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(ticks "$ov")
  sleep $((SECS - WARM - COOL))
  t1=$(date +%s.%N); c1=$(ticks "$ov")
  if [ -z "$c0" ] || [ -z "$c1" ]; then  # the overseer was not there to measure: say why
    echo "bench: $2: no CPU figure (overseer pid '$ov')" >&2; tail -n 5 "$d/ov.log" "$d/sim.log" >&2
  fi
  wait "$ovt"
  kill -TERM "$sim" 2>/dev/null; wait "$simt"
  sleep 0.5
  python3 - "$d" "$with" "$CLIENTS" "$(getconf CLK_TCK)" "$t0" "$c0" "$t1" "$c1" <<'PY'
import csv, glob, json, sys
d, with_, clients, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0, c0, t1, c1 = (float(x) for x in sys.argv[5:9])
rows = list(csv.DictReader(open(d + "/out/timeseries.csv")))
ok = scrapes = 0
if with_:
    for f in glob.glob(d + "/ev.*"):
        secs = []
        for l in open(f):
            try:
                secs.append(json.loads(l)["msg"])
            except ValueError:
                pass  # a line cut short when the stream ended
        secs = [m for m in secs if m["type"] == "second"]
        ok += len(secs) == len(rows)
    scrapes = sum(1 for l in open(d + "/scrapes") if l.strip() == "200")
print("%.2f %d %d %d" % (100 * (c1 - c0) / hz / (t1 - t0), len(rows), ok, scrapes))
PY
}

echo "dashboard benchmark: $N simulated beacons at 1 Hz, ${SECS} s phase, $CLIENTS event streams + 1 Hz /metrics, $(nproc) cores"
without=() with=() bad=0
for r in $(seq "$ROUNDS"); do
  read -r a rows _ _ < <(run_one 0 "off-$r")
  read -r b rows2 streams scrapes < <(run_one 1 "on-$r")
  if [ -z "${a:-}" ] || [ -z "${b:-}" ]; then
    echo "  round $r: a run failed (without: '${a:-}', with: '${b:-}')"; bad=1; continue
  fi
  echo "  round $r: without ${a} %, with ${b} % of one core; $rows/$rows2 rows; $streams/$CLIENTS streams got every second; $scrapes scrapes answered"
  without+=("$a"); with+=("$b")
  [ "${streams:-0}" -eq "$CLIENTS" ] && [ "${scrapes:-0}" -ge $((SECS - 2)) ] || bad=1
done
python3 - "$bad" "${without[*]}" "${with[*]}" <<'PY'
import statistics, sys
bad = int(sys.argv[1])
if not sys.argv[2].split() or not sys.argv[3].split():
    print("  target: with the dashboard <= 1.2x the CPU without: MISSED (no complete round)")
    sys.exit(1)
a = statistics.median(float(x) for x in sys.argv[2].split())
b = statistics.median(float(x) for x in sys.argv[3].split())
ratio = b / a if a > 0 else float("inf")
met = ratio <= 1.2
print(f"  median CPU: without {a:.2f} %, with {b:.2f} % of one core: {ratio:.2f}x")
print(f"  target: with the dashboard <= 1.2x the CPU without: {'met' if met else 'MISSED'} ({ratio:.2f}x)")
if bad:
    print("  check: a stream missed seconds or scrapes went unanswered: MISSED")
sys.exit(0 if met and not bad else 1)
PY
