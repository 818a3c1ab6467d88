#!/usr/bin/env bash
# Overseer benchmark (issue 5): the overseer's CPU while it aggregates N
# simulated beacons at 1 Hz (target: 500 beacons < 10 % of one core).
#
# For each N and transport mode, on loopback: `overseer run` with a one-phase
# scenario (3 nodes on port 9 of 127.0.0.1-3, never contacted; RATE tx/s per beacon
# for SECS s) and ONE bench_overseer process simulating N beacons (each its
# own ZeroMQ client; CURVE with fresh keys and an allowlist, or --insecure).
# Over the steady part of the phase (from the WARM-th time series row to
# COOL s before the end) the overseer's utime+stime from /proc/PID/stat
# gives: CPU % of one core, CPU µs per STATS message (every message the
# overseer handled in the window - heartbeats, acks, CSV rows - is charged to
# the STATS), and the rows it wrote. Afterwards the results are checked:
# beacons.csv holds SECS rows for each of the N beacons, and the offered
# counts in beacons.csv and timeseries.csv both equal N * RATE * SECS (exact
# aggregation, nothing late), as does the sum sent over the 3 nodes of
# nodes.csv; the simulator saw every STATS acknowledged, no lease expiry and
# no ERROR. A failed check fails the benchmark; the CPU
# figures are reported, never judged.
#
# Args: OVERSEER SIM [SECS] [COUNTS] [MODES]
#   SECS    phase length (default 20, at least 12)
#   COUNTS  beacon counts (default "100 500")
#   MODES   "curve" and/or "insecure" (default "curve insecure")
# BENCH_KEEP=1 keeps the runs' files (logs, CSV) and says where.
set -u
OVERSEER=$1 SIM=$2 SECS=${3:-20} COUNTS=${4:-"100 500"} MODES=${5:-"curve insecure"}
RATE=2000 WARM=3 COOL=5
OVERSEER=$(readlink -f "$OVERSEER") SIM=$(readlink -f "$SIM")
[ "$SECS" -ge 12 ] || { echo "bench: SECS must be at least 12"; exit 2; }
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: results kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# 500 ZeroMQ peers need descriptors on both sides (the simulator raises its own too).
ulimit -n "$(ulimit -Hn)" 2>/dev/null
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; } # utime+stime
# The overseer's own thread (tid = pid): decoding, aggregation, CSV. The rest
# of the process is ZeroMQ's background threads (socket I/O, CURVE).
mainticks() { sed 's/^.*) //' "/proc/$1/task/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
child() { # PID of the one child of $1 (the program under `timeout`)
  local c=""
  # Read from /proc by tests/procs.py: only a descendant of the pid we started.
  for _ in $(seq 100); do
    c=$(python3 "$(dirname "$0")/procs.py" "$1" | head -n 1)
    [ -n "$c" ] && break; sleep 0.05
  done
  echo "$c"
}

# run_one MODE N: one overseer run; appends a result line to $tmp/results.
run_one() {
  local mode=$1 n=$2 d="$tmp/$1-$2" port ovargs simargs ovt simt ov sim rc simrc
  mkdir -p "$d"
  port=$(freeport)
  cat >"$d/scen.yaml" <<YAML
name: ovbench-$n
nodes: [ws://127.0.0.1:9, ws://127.0.0.2:9, ws://127.0.0.3:9]
beacons: $n
defaults: {drain: 1}
phases:
  - name: load
    duration: $SECS
    rate: $((n * RATE))
YAML
  if [ "$mode" = curve ]; then
    ( cd "$d" && "$OVERSEER" keygen ov >/dev/null ) && "$SIM" keys "$n" "$d" ||
      { echo "bench: cannot make keys"; return 1; }
    ovargs=(--key "$d/ov.key" --allow "$d/beacons.allow")
    simargs=(--keys "$d" --server-key "$d/ov.pub")
  else
    ovargs=(--insecure)
    simargs=(--insecure)
  fi
  timeout $((SECS + 120)) "$OVERSEER" run "$d/scen.yaml" --out "$d/out" --wait 60 \
    --bind "tcp://127.0.0.1:$port" "${ovargs[@]}" >"$d/ov.log" 2>&1 &
  ovt=$!; pids+=("$ovt")
  timeout $((SECS + 150)) "$SIM" run --endpoint "tcp://127.0.0.1:$port" --beacons "$n" \
    "${simargs[@]}" --max-time $((SECS + 130)) >"$d/sim.out" 2>"$d/sim.log" &
  simt=$!; pids+=("$simt")
  # On failure the run's programs go at once (`timeout` passes the signal on).
  fail() { echo "bench: $mode $n: $1"; tail -n 5 "$d/ov.log" "$d/sim.log"
           kill "$ovt" "$simt" 2>/dev/null; wait "$ovt" "$simt" 2>/dev/null; return 1; }
  ov=$(child "$ovt"); sim=$(child "$simt")
  [ -n "$ov" ] && [ -n "$sim" ] || { fail "a program did not start"; return 1; }
  # The steady part: from the WARM-th time series row on.
  for _ in $(seq $(((SECS + 90) * 10))); do
    [ "$(lines "$d/out/timeseries.csv")" -gt "$WARM" ] && break
    kill -0 "$ov" 2>/dev/null || break
    sleep 0.1
  done
  [ "$(lines "$d/out/timeseries.csv")" -gt "$WARM" ] || { fail "the phase did not start"; return 1; }
  local t0 c0 m0 s0 r0 b0 t1 c1 m1 s1 r1 b1
  t0=$(date +%s.%N); c0=$(ticks "$ov"); m0=$(mainticks "$ov"); s0=$(ticks "$sim")
  r0=$(lines "$d/out/timeseries.csv"); b0=$(lines "$d/out/beacons.csv")
  sleep $((SECS - WARM - COOL))
  t1=$(date +%s.%N); c1=$(ticks "$ov"); m1=$(mainticks "$ov"); s1=$(ticks "$sim")
  r1=$(lines "$d/out/timeseries.csv"); b1=$(lines "$d/out/beacons.csv")
  wait "$ovt"; rc=$?
  kill -TERM "$sim" 2>/dev/null
  wait "$simt"; simrc=$?
  python3 - "$d" "$mode" "$n" "$RATE" "$SECS" "$rc" "$simrc" "$(getconf CLK_TCK)" \
    "$t0" "$c0" "$m0" "$s0" "$r0" "$b0" "$t1" "$c1" "$m1" "$s1" "$r1" "$b1" >>"$tmp/results" <<'PY'
import csv, re, sys
d, mode = sys.argv[1], sys.argv[2]
n, rate, secs, rc, simrc, hz = (int(x) for x in sys.argv[3:9])
t0, c0, m0, s0, r0, b0, t1, c1, m1, s1, r1, b1 = (float(x) for x in sys.argv[9:21])
wall = t1 - t0
cpu_pct = 100 * (c1 - c0) / hz / wall
main_pct = 100 * (m1 - m0) / hz / wall
sim_pct = 100 * (s1 - s0) / hz / wall
stats = b1 - b0
us = 1e6 * (c1 - c0) / hz / stats if stats else float("nan")
problems = []
if rc != 0 or simrc != 0:
    problems.append(f"exit status: overseer {rc}, simulator {simrc}")
brows = [r for r in csv.DictReader(open(f"{d}/out/beacons.csv")) if r["phase"] == "load"]
per = {}
for r in brows:
    per[r["beacon"]] = per.get(r["beacon"], 0) + 1
if len(per) != n or any(v != secs for v in per.values()):
    problems.append(f"beacons.csv: {len(per)} beacons, rows per beacon {sorted(set(per.values()))}")
want = n * rate * secs
boff = round(sum(float(r["offered_tps"]) * float(r["interval_s"]) for r in brows))
trows = [r for r in csv.DictReader(open(f"{d}/out/timeseries.csv")) if r["phase"] == "load"]
toff = round(sum(float(r["offered_tps"]) * float(r["interval_s"]) for r in trows))
if boff != want or toff != want:
    problems.append(f"offered: beacons.csv {boff}, timeseries.csv {toff}, want {want}")
nrows = [r for r in csv.DictReader(open(f"{d}/out/nodes.csv")) if r["phase"] == "load"]
nsent = round(sum(float(r["sent_tps"]) * float(r["interval_s"]) for r in nrows))
if nsent != want or len({r["url"] for r in nrows}) != 3:
    problems.append(f"nodes.csv: sent {nsent} over {len({r['url'] for r in nrows})} nodes, "
                    f"want {want} over 3")
sim = open(f"{d}/sim.out").read()
m = re.search(r"stats (\d+) acked (\d+) .* errors_rx (\d+) bad_rx (\d+) lease_lost (\d+) .*"
              r"stats_bytes_avg (\d+) buckets_avg (\d+) (\d+) (\d+)", sim)
if not m:
    problems.append("no simulator summary")
    size = bk = "?"
else:
    st, ack, err, bad, lease = (int(m.group(i)) for i in range(1, 6))
    size, bk = m.group(6), "/".join(m.group(i) for i in (7, 8, 9))
    if st != ack or st != n * secs:
        problems.append(f"simulator: {st} STATS sent, {ack} acknowledged, want {n * secs}")
    if err or bad or lease:
        problems.append(f"simulator: {err} ERROR, {bad} undecodable, {lease} lease expiries")
print(f"{mode}\t{n}\t{cpu_pct:.2f}\t{main_pct:.2f}/{cpu_pct - main_pct:.2f}\t{us:.1f}\t{int(r1 - r0)}\t{int(stats)}\t{sim_pct:.1f}\t"
      f"{wall:.1f}\t{size}\t{bk}\t{'; '.join(problems) or 'ok'}")
PY
}

echo "overseer benchmark: simulated beacons at 1 Hz, $RATE tx/s each, ${SECS} s phase, $(nproc) cores"
: >"$tmp/results"
for mode in $MODES; do
  for n in $COUNTS; do
    run_one "$mode" "$n" || echo -e "$mode\t$n\t-\t-\t-\t-\t-\t-\t-\t-\t-\trun failed" >>"$tmp/results"
  done
done
python3 - "$tmp/results" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print(f"  {'mode':<9}{'beacons':>8}{'CPU % of a core':>16}{'main/zmq %':>12}{'CPU us/STATS':>13}"
      f"{'ts rows':>8}{'STATS':>7}{'sim CPU %':>10}{'window s':>9}{'STATS B':>8}"
      f"  {'buckets a/i/l':<14}check")
for r in rows:
    print(f"  {r[0]:<9}{r[1]:>8}{r[2]:>16}{r[3]:>12}{r[4]:>13}{r[5]:>8}{r[6]:>7}{r[7]:>10}{r[8]:>9}"
          f"{r[9]:>8}  {r[10]:<14}{r[11]}")
print("  (CPU: the overseer process, utime+stime over the window; main: its own thread,"
      " zmq: ZeroMQ's I/O thread;")
print("   us/STATS: all of the overseer's CPU in the window divided by the STATS it took)")
missed = 0
for r in rows:
    if r[1] == "500":
        ok = r[2] != "-" and float(r[2]) < 10
        missed += not ok
        print(f"target 500 beacons < 10 % of one core ({r[0]}): {r[2]} % {'met' if ok else 'MISSED'}")
print(f"overseer benchmark: {missed} target(s) MISSED")
sys.exit(0 if rows and all(r[11] == "ok" for r in rows) and missed == 0 else 1)
PY
