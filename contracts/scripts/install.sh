#!/usr/bin/env bash
# Install the contracts toolchain (forge/cast/anvil, solc-js, OpenZeppelin) from
# package-lock.json. Idempotent: runs `npm ci` only when node_modules/ is missing
# or package-lock.json is newer than it. Works from any working directory.
set -euo pipefail

CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$CONTRACTS_DIR"

if ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: npm not found (Node.js >= 20 is required)" >&2
  exit 1
fi

# npm ci refreshes node_modules/.package-lock.json; compare against that
# (falls back to the node_modules directory itself).
stamp="node_modules/.package-lock.json"
[ -e "$stamp" ] || stamp="node_modules"

if [ ! -d node_modules ]; then
  reason="node_modules/ is missing"
elif [ package-lock.json -nt "$stamp" ]; then
  reason="package-lock.json is newer than node_modules/"
else
  reason=""
fi

if [ -n "$reason" ]; then
  echo "install.sh: $reason -> running 'npm ci' in $CONTRACTS_DIR"
  npm ci --no-audit --no-fund
  # npm ci may keep the lockfile's mtime newer than what it writes; make the
  # stamp fresh so the next run is a no-op.
  touch node_modules/.package-lock.json 2>/dev/null || touch node_modules
else
  echo "install.sh: node_modules/ is up to date with package-lock.json -> nothing to do"
fi

# npm ci runs this as postinstall; repeat it in case scripts were skipped
# (--ignore-scripts). Silent when the links are already right.
bash "$CONTRACTS_DIR/scripts/link-bins.sh"

# Sanity checks: native binaries and solc-js are usable, and `npx forge`
# reports failures through its exit code.
if "$CONTRACTS_DIR/node_modules/.bin/forge" definitely-not-a-command >/dev/null 2>&1; then
  echo "install.sh: node_modules/.bin/forge exits 0 on errors; see scripts/link-bins.sh" >&2
  exit 1
fi
forge_version="$("$CONTRACTS_DIR/bin/forge" --version 2>/dev/null | head -n1 || true)"
solc_version="$("$CONTRACTS_DIR/bin/solc" --version 2>/dev/null | tail -n1 || true)"
if [ -z "$forge_version" ] || [ -z "$solc_version" ]; then
  echo "install.sh: toolchain check failed (forge: '${forge_version}', solc: '${solc_version}')" >&2
  exit 1
fi
echo "install.sh: ${forge_version}; solc shim ${solc_version}"
