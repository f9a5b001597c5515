#!/usr/bin/env bash
# Point node_modules/.bin/{forge,cast,anvil} at bin/forge (which execs the native
# binary), replacing the links to @foundry-rs/<tool>/bin.mjs: that npm wrapper
# always exits 0, even when `forge test` fails (foundry-rs/foundry#14781).
# Runs as this package's npm postinstall and from scripts/install.sh; idempotent.
set -euo pipefail
CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bindir="$CONTRACTS_DIR/node_modules/.bin"
[ -d "$bindir" ] || { echo "link-bins.sh: $bindir missing (run npm ci first)" >&2; exit 1; }
for tool in forge cast anvil; do
  target="../../bin/$tool"
  if [ "$(readlink "$bindir/$tool" 2>/dev/null || true)" != "$target" ]; then
    ln -sfn "$target" "$bindir/$tool"
    echo "link-bins.sh: node_modules/.bin/$tool -> bin/$tool (native binary, real exit codes)"
  fi
done
