#!/usr/bin/env bash
# Run a local network with one command (`spn devnet`): a dev mainnet (chain 31337 on
# http://127.0.0.1:8545, ten funded dev accounts), two example SPNs (1001 on :9545, 1002 on
# :9546) registered and restaked, and a relayer. Its chains are kept in ./devnet (or
# --datadir DIR) and resumed by the next run; Ctrl-C stops everything. Extra arguments go to
# `spn devnet` (e.g. --datadir DIR, --port 8545, --spn-port 9545, --json). Installs what the
# build needs, idempotently, and builds spn and pharos-node first. Messages go to stderr;
# stdout is the devnet's.
set -euo pipefail
here="$PWD"
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-npm >&2
source scripts/env.sh
echo "==> building spn and pharos-node (release; the first build takes ~20 minutes on 2 cores)" >&2
# Same package selection as the tests, so both share one build of every dependency.
cargo build --release --workspace --bins --locked
cd "$here"
exec "$CARGO_TARGET_DIR/release/spn" devnet "$@"
