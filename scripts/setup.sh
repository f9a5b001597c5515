#!/usr/bin/env bash
# Install what building and testing need, idempotently: Debian packages, the Rust toolchain's
# components, and the contracts' npm packages. Safe to run again; does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libclang-dev clang; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

for comp in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$comp" || {
    echo "==> installing rust component $comp"; rustup component add "$comp"; }
done

if [ "${1:-}" != "--no-npm" ]; then
  bash contracts/scripts/install.sh
fi
