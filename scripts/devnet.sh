#!/usr/bin/env bash
# Run a local dev chain: chain id 31337 on http://127.0.0.1:8545 with ten prefunded dev
# accounts (the anvil/hardhat test mnemonic). Extra arguments go to `pharos-node run`,
# e.g. `--datadir ./devdata` to keep the chain between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-npm
source scripts/env.sh
echo "==> building pharos-node (release; the first build takes ~20 minutes on 2 cores)"
# Same package selection as the tests, so both share one build of every dependency.
cargo build --release --workspace --bins --locked
"$CARGO_TARGET_DIR/release/pharos-node" keys dev
exec "$CARGO_TARGET_DIR/release/pharos-node" run --dev "$@"
