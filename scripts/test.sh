#!/usr/bin/env bash
# Run every check and test: formatting, clippy, contract tests and fixtures, Rust unit,
# property and end-to-end tests (the e2e tests start real pharos-node processes on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy -D warnings"
cargo clippy --release --workspace --all-targets --locked -- -D warnings
echo "==> contracts: forge fmt, forge test, compiled artifacts current"
(cd contracts && npx forge fmt --check src test && npx forge test --use ./bin/solc)
node contracts/scripts/compile.js --check
echo "==> building binaries for the end-to-end tests"
cargo build --release --workspace --bins --locked
echo "==> cargo test"
cargo test --release --workspace --locked --no-fail-fast
