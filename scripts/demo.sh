#!/usr/bin/env bash
# The main job on the embedded default. Until the overseer exists (issue 5)
# this signs a sample offline with `beacon presign`: five transactions shown
# in full, then 20000 on all cores to show the signing rate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

BEACON=build/release/beacon/beacon
CHAIN=39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447   # public testnet id
REF=01df5e765c1ece3bf41b5a7bd0f6e8fa02b81342
EXP=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S)
common=(--chain-id "$CHAIN" --ref-block-id "$REF" --expiration "$EXP"
        --keys tests/data/sample.keys --from 1.2.1000 --to 1.2.1001
        --mix transfer=70,limit_order=30)

echo "== beacon presign: 5 transactions (txid, packed hex, node JSON)"
"$BEACON" presign "${common[@]}" --count 5 --quiet
mkdir -p out
echo "== beacon presign: 20000 transactions on all cores -> out/presign-sample.jsonl"
"$BEACON" presign "${common[@]}" --count 20000 --out out/presign-sample.jsonl
echo "distinct txids: $(cut -d'"' -f4 out/presign-sample.jsonl | sort -u | wc -l) of $(wc -l <out/presign-sample.jsonl)"
