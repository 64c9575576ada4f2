#!/usr/bin/env bash
# Tests of the `deploygov` command line that need more than cargo: the dashboard in a real
# headless Chromium (Debian's package, driven by playwright-core). Installs what it needs on a
# fresh Debian machine. The Rust tests of cli/tests/ run with the workspace (`cargo nextest run`).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (Debian package)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

echo "==> npm install (cli/dashboard-test)"
(cd cli/dashboard-test && npm install --no-audit --no-fund)

echo "==> build deploygov"
cargo build --locked -p deploygov-cli
target="${CARGO_TARGET_DIR:-target}"
bin="$(cd "$target" && pwd)/debug/deploygov"

echo "==> dashboard in headless chromium"
(cd cli/dashboard-test && DEPLOYGOV_BIN="$bin" node --test dashboard.test.mjs)

echo "==> cli tests passed in $(( $(date +%s) - start )) s (screenshots in target/dashboard-test/)"
