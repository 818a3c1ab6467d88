#!/usr/bin/env bash
# `beacon run` against a devnode whose chain restarts mid-run (issue 13.4,
# TAP). Args: BEACON DEVNODE SRCDIR. Every process is bounded by `timeout`;
# the test kills only the pids it started.
set -u
BEACON=$1 DEVNODE=$2 SRC=$3
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
# Key files must be private (the beacon refuses others-readable ones).
install -m 600 "$SRC/devnode/test-accounts.keys" "$tmp/accounts.keys"; KEYS=$tmp/accounts.keys
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

echo "1..2"
# A devnode on a fixed free port, killed at 6 s and started again (a fresh
# chain from block 0, same genesis) at 7 s; the beacon offers 200 tx/s for 16 s.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 60 "$DEVNODE" --quiet --accounts "$KEYS" --listen 127.0.0.1:$port --block-interval 0.5 \
  --stats-json >"$tmp/dn1.out" 2>&1 &
dn1=$!
pids+=("$dn1")
for _ in $(seq 100); do grep -q "^listening on" "$tmp/dn1.out" && break; sleep 0.05; done
( sleep 6; kill "$dn1"; sleep 1
  exec timeout 60 "$DEVNODE" --quiet --accounts "$KEYS" --listen 127.0.0.1:$port \
    --block-interval 0.5 --stats-json >"$tmp/dn2.out" 2>&1 ) &
pids+=($!)
timeout 120 "$BEACON" run --node "ws://127.0.0.1:$port" --accounts "$KEYS" --quiet --drain 5 \
  --stats-json "$tmp/r.jsonl" --rate 200 --duration 16 >"$tmp/r.log" 2>&1
rc=$?
sleep 0.5
if RC=$rc python3 - "$tmp/r.jsonl" "$tmp/r.log" "$tmp/dn2.out" >"$tmp/check" 2>&1 <<'PY'
import json, os, sys
RC = int(os.environ["RC"])
rows = [json.loads(l) for l in open(sys.argv[1])]
log = open(sys.argv[2]).read()
dn2 = [json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")]
tot = {k: sum(r[k] for r in rows) for k in ("sent", "accepted", "confirmed", "rejected_total", "lost")}
applied2 = sum(d["accepted"] for d in dn2)
print("beacon", tot, "restarted node accepted", applied2)
assert RC == 0, log[-1500:]
assert "the chain restarted" in log, log[-1500:]
assert "pre-signed transactions of the old chain discarded" in log, log[-1500:]
# Everything the restarted node took is counted confirmed (the old bug: the
# tracker ignored blocks at or below its old head).
# Accepted by the old node in its last half second and never put in a block
# is at most a block interval of the rate (0.5 s x 200).
assert applied2 > 1000 and tot["confirmed"] >= applied2, (tot, applied2)
assert tot["accepted"] - tot["confirmed"] <= 100, tot
# The old chain's pool is not sent to fail: at most ~3 s of the rate is
# rejected (what was signed or in flight around the restart, until the
# tracker's next look at the new chain - once a second - brings its TaPoS;
# 2.4 s was seen on a host at load 30). The old code rejected ~10 s of it.
assert tot["rejected_total"] <= 600, tot
PY
then ok "a devnode restarted mid-run: restart reported, old pool discarded, the new chain's blocks counted"
else cat "$tmp/r.log" >>"$tmp/check"; notok "a devnode restarted mid-run" "$tmp/check"; fi

# Blocks every 10 ms; between beacon and node a proxy that holds every byte
# for 3 s after 3 s: the tracker comes back ~300 blocks behind and must read
# them all (it used to skip to the head when more than 100 behind, and the
# transactions in the skipped blocks were never confirmed) (issue 11.4).
timeout 60 "$DEVNODE" --quiet --accounts "$KEYS" --listen 127.0.0.1:0 --block-interval 0.01 \
  >"$tmp/dn3.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do url=$(sed -n 's/^listening on //p' "$tmp/dn3.out"); [ -n "$url" ] && break; sleep 0.05; done
timeout 60 python3 "$SRC/tests/stall_proxy.py" 0 "${url##*:}" 3 3 40 >"$tmp/proxy.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do pport=$(sed -n 's/^listening on //p' "$tmp/proxy.out"); [ -n "$pport" ] && break; sleep 0.05; done
timeout 120 "$BEACON" run --node "ws://127.0.0.1:$pport" --accounts "$KEYS" --quiet --drain 8 \
  --stats-json "$tmp/s.jsonl" --rate 300 --duration 10 --ack-timeout 20 >"$tmp/s.log" 2>&1
rc=$?
if RC=$rc python3 - "$tmp/s.jsonl" "$tmp/s.log" >"$tmp/check2" 2>&1 <<'PY'
import json, os, sys
RC = int(os.environ["RC"])
rows = [json.loads(l) for l in open(sys.argv[1])]
log = open(sys.argv[2]).read()
tot = {k: sum(r[k] for r in rows) for k in ("sent", "accepted", "confirmed", "lost", "blocks")}
print("beacon", tot)
assert RC == 0, log[-1500:]
assert tot["accepted"] == tot["sent"] == 3000, tot
assert tot["confirmed"] == tot["accepted"] and tot["lost"] == 0, tot
assert max(r["head_block"] for r in rows) - min(r["head_block"] for r in rows if r["head_block"]) \
    <= tot["blocks"] + 5, tot
PY
then ok "a tracker 300 blocks behind reads every block: all confirmed"
else cat "$tmp/s.log" >>"$tmp/check2"; notok "a tracker 300 blocks behind" "$tmp/check2"; fi
[ "$bad" -eq 0 ]
