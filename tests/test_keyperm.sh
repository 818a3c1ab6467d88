#!/usr/bin/env bash
# Account key files (WIF) must be private, and keys never go out unencrypted
# (TAP). Args: BEACON OVERSEER SRCDIR
# beacon run / presign / the daemon and overseer run refuse a key file other
# users can read, naming the file and its mode, unless --allow-readable-keys;
# overseer run refuses --insecure with a scenario's accounts: (the keys would
# go in the clear to whoever connects first). No node is needed: every
# refusal comes before any connection. Every process is bounded by `timeout`.
set -u
BEACON=$1 OVERSEER=$2 SRC=$3
tmp=$(mktemp -d)
. "$(dirname "$0")/tap.sh"
trap 'rm -rf "$tmp"' EXIT
# expect DESC WANT-RC GREP-PATTERN CMD...: CMD exits WANT-RC and its stderr matches.
expect() {
  local desc=$1 want=$2 pat=$3; shift 3
  timeout 30 "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -eq "$want" ] && grep -qE -- "$pat" "$tmp/err"; then ok "$desc"
  else echo "exit $rc, wanted $want; stderr:" >>"$tmp/err"; notok "$desc" "$tmp/err"; fi
}

echo "1..9"
cp "$SRC/devnode/test-accounts.keys" "$tmp/open.keys"; chmod 644 "$tmp/open.keys"
cp "$SRC/devnode/test-accounts.keys" "$tmp/group.keys"; chmod 640 "$tmp/group.keys"
cp "$SRC/devnode/test-accounts.keys" "$tmp/priv.keys"; chmod 600 "$tmp/priv.keys"

expect "beacon run refuses a world-readable key file, naming it and its mode" 1 \
  "$tmp/open.keys: holds private keys but any user can read it \(mode 0644\); chmod 600" \
  "$BEACON" run --node ws://127.0.0.1:1 --accounts "$tmp/open.keys" --rate 10 --duration 1

# With the override (or a 0640 file) the key check passes and the run fails later, at the node.
expect "beacon run --allow-readable-keys loads it (and fails only at the unreachable node)" 1 \
  "ws://127.0.0.1:1" \
  "$BEACON" run --node ws://127.0.0.1:1 --accounts "$tmp/open.keys" --allow-readable-keys --rate 10 --duration 1
expect "a group-readable (0640) file is accepted (Kubernetes fsGroup secrets are 0440)" 1 "ws://127.0.0.1:1" \
  "$BEACON" run --node ws://127.0.0.1:1 --accounts "$tmp/group.keys" --rate 10 --duration 1

vec() { python3 -c "import json,sys; print(json.load(open('$SRC/tests/vectors/transfer.json'))['$1'])"; }
presign=(presign --chain-id "$(vec chain_id)" --ref-block-id "$(vec head_block_id)"
         --expiration 2030-01-01T00:00:00 --from 1.2.100 --to 1.2.101 --count 1 --quiet)
expect "beacon presign refuses it too" 1 "open.keys: holds private keys .*mode 0644" \
  "$BEACON" "${presign[@]}" --keys "$tmp/open.keys"

expect "the beacon daemon refuses a world-readable --accounts at start" 1 \
  "open.keys: holds private keys .*--allow-readable-keys" \
  "$BEACON" --overseer tcp://127.0.0.1:1 --insecure --accounts "$tmp/open.keys"

cat >"$tmp/sc.yaml" <<YAML
name: keyperm
nodes: [ws://127.0.0.1:1]
accounts: $tmp/open.keys
beacons: 1
phases:
  - {name: p, duration: 1, rate: 1}
YAML
sed "s#open.keys#priv.keys#" "$tmp/sc.yaml" >"$tmp/sc-priv.yaml"
expect "overseer run refuses a scenario whose accounts: file any user can read" 1 \
  "accounts: .*open.keys: holds private keys .*mode 0644" \
  "$OVERSEER" run "$tmp/sc.yaml" --out "$tmp/o1" --key /nonexistent --allow /nonexistent
expect "overseer run --insecure with accounts: is refused (keys in the clear to whoever connects)" 2 \
  "in the clear to whoever connects first.*beacon --accounts" \
  "$OVERSEER" run "$tmp/sc-priv.yaml" --out "$tmp/o2" --insecure --bind tcp://127.0.0.1:1
expect "... also with --allow-readable-keys and a readable file" 2 "in the clear" \
  "$OVERSEER" run "$tmp/sc.yaml" --out "$tmp/o3" --insecure --allow-readable-keys --bind tcp://127.0.0.1:1
# Past the key checks, a private file gets as far as the missing overseer key.
expect "overseer run with a 0600 accounts: file passes the key checks" 1 "/nonexistent" \
  "$OVERSEER" run "$tmp/sc-priv.yaml" --out "$tmp/o4" --key /nonexistent --allow /nonexistent
exit $((bad > 0))
