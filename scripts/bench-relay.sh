#!/usr/bin/env bash
# Cross-SPN message benchmark (docs/performance.md): a dev mainnet, two SPNs with one validator
# each and a relayer, all set up with the `spn` CLI as a user would; then `pharos-bench relay`
# times messages from a contract on SPN 1001 to a contract on SPN 1002.
# Usage: scripts/bench-relay.sh [pharos-bench relay flags, e.g. --messages 2000]
# BENCH_KEEP=1 keeps the chains' data and logs (the path is printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo build --release --locked -p pharos-mainnet -p spn-cli -p spn-e2e-tests --bins
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${BENCH_KEEP:-}" ]; then echo "logs and data kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Anvil/hardhat dev accounts 0-3: SPN owner and app user, two operators, the relayer.
KEYS=(0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
      0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
      0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
      0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6)
USER=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266

wait_addr() { for _ in $(seq 600); do [ -s "$1" ] && { echo "http://$(cat "$1")"; return; }; sleep 0.1; done; echo "timed out: $1" >&2; exit 1; }

"$BIN/pharos-node" run --dev --datadir "$WORK/mainnet" --http.port 0 \
  --http.addr-file "$WORK/mainnet.addr" 2>"$WORK/mainnet.log" &
MAINNET="$(wait_addr "$WORK/mainnet.addr")"
echo "mainnet at $MAINNET"

declare -A RPC
for n in 1 2; do
  id=$((1000 + n))
  cat >"$WORK/spn-$id.toml" <<TOML
spn_id = $id
name = "bench-$id"
mainnet_rpc = "$MAINNET"
mainnet_chain_id = 31337
block_time_ms = 100
checkpoint_interval = 10
signing_key = "0x$(printf "%02d" "$n")$(printf '%.0s11' $(seq 31))"

[alloc]
"$USER" = "1000000000000000000000000"
TOML
  "$BIN/spn" register --config "$WORK/spn-$id.toml" --private-key "${KEYS[0]}"
  "$BIN/spn" restake --rpc "$MAINNET" --spn "$id" --amount 5 --private-key "${KEYS[$n]}" \
    --operator-key "0x$(printf "%02d" "$n")$(printf '%.0s11' $(seq 31))"
  "$BIN/spn" node run --config "$WORK/spn-$id.toml" --datadir "$WORK/spn-$id" --http.port 0 \
    --http.addr-file "$WORK/spn-$id.addr" 2>"$WORK/spn-$id.log" &
  RPC[$id]="$(wait_addr "$WORK/spn-$id.addr")"
  echo "SPN $id at ${RPC[$id]}"
done

cat >"$WORK/relayer.toml" <<TOML
mainnet_rpc = "$MAINNET"
private_key = "${KEYS[3]}"
state_file = "$WORK/relayer-state.json"
poll_ms = 100

[[spn]]
spn_id = 1001
rpc = "${RPC[1001]}"

[[spn]]
spn_id = 1002
rpc = "${RPC[1002]}"
TOML
"$BIN/spn" relayer run --config "$WORK/relayer.toml" 2>"$WORK/relayer.log" &

"$BIN/pharos-bench" relay --origin "${RPC[1001]}" --destination "${RPC[1002]}" \
  --mainnet "$MAINNET" "$@"
