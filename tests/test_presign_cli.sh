#!/usr/bin/env bash
# `beacon presign` end to end (TAP). Args: BEACON VECTORS_DIR DATA_DIR
set -u
BEACON=$1 VEC=$2 DATA=$3
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
trap 'rm -rf "$tmp"' EXIT
# Key files must be private (beacon refuses others-readable ones): files made here are 0600.
umask 077
install -m 600 "$DATA/sample.keys" "$tmp/sample.keys"
check() { if eval "$2"; then ok "$1"; else notok "$1" "$tmp/err"; fi; }
vec() { python3 -c "import json,sys; print(json.load(open('$VEC/transfer.json'))['$1'])"; }

echo "1..12"
base=(--chain-id "$(vec chain_id)" --ref-block-id "$(vec head_block_id)" --expiration 2030-01-01T00:00:00
      --keys "$tmp/sample.keys" --from 1.2.1000 --to 1.2.1001)

"$BEACON" presign "${base[@]}" --count 3 --amount 12345 --transfer-fee 86869 --quiet >"$tmp/v" 2>"$tmp/err"
check "index 0 reproduces the transfer vector (fc-style signed hex)" \
  "[ \"\$(head -1 $tmp/v | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"hex\"])')\" = \"$(vec signed_hex_fc_style)\" ]"
check "txid of index 0 is the vector's" "head -1 $tmp/v | grep -q '\"txid\":\"$(vec txid)\"'"

mixed=(--mix transfer=60,limit_order=40 --ops-per-tx 2 --count 700 --seed 5 --quiet)
"$BEACON" presign "${base[@]}" "${mixed[@]}" --threads 1 >"$tmp/t1" 2>"$tmp/err"
"$BEACON" presign "${base[@]}" "${mixed[@]}" --threads 2 --out "$tmp/t2" 2>"$tmp/err"
check "output is identical on 1 and 2 threads" "cmp -s $tmp/t1 $tmp/t2"
check "--out leaves no temporary file" "[ ! -e $tmp/t2.tmp ]"
check "every line is JSON with node-form tx, all txids distinct, both op kinds present" \
  "python3 - $tmp/t1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ids = {l['txid'] for l in lines}
kinds = {op[0] for l in lines for op in l['tx']['operations']}
assert len(lines) == 700 and len(ids) == 700, (len(lines), len(ids))
assert kinds == {0, 1}, kinds
assert all(len(l['tx']['signatures'][0]) == 130 and l['hex'].endswith(l['tx']['signatures'][0]) for l in lines)
PY"

"$BEACON" presign --keys x >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a missing required option is a usage error naming it" "[ $rc -eq 2 ] && grep -q -- '--chain-id is required' $tmp/err"
"$BEACON" presign "${base[@]}" --chain-id 12zz >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a bad chain id names the option" "[ $rc -eq 2 ] && grep -q -- '--chain-id' $tmp/err"
printf '1.2.1000 5KgShfM3vgU5i9LtshWY8FbAATZ42agWuSaLC5rTh5arLDFmANX\n' >"$tmp/bad.keys"
"$BEACON" presign "${base[@]}" --keys "$tmp/bad.keys" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a bad key line is reported as FILE:LINE without the key" \
  "[ $rc -eq 1 ] && grep -q '$tmp/bad.keys:1:' $tmp/err && ! grep -q 5KgShfM3 $tmp/err"
"$BEACON" presign "${base[@]}" --from 1.2.77 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no key for --from is a clear error" "[ $rc -eq 1 ] && grep -q 'no key for 1.2.77' $tmp/err"
"$BEACON" presign "${base[@]}" --mix transfer=50,swap=50 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a bad --mix names the unknown operation" "[ $rc -eq 2 ] && grep -q 'unknown operation \"swap\"' $tmp/err"
"$BEACON" presign --help >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--help documents the options" "[ $rc -eq 0 ] && grep -q -- '--ops-per-tx' $tmp/out && grep -q -- '--threads' $tmp/out"
"$BEACON" presign "${base[@]}" --bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "an unknown option is a usage error" "[ $rc -eq 2 ]"
exit $((bad > 0))
