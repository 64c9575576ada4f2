#!/usr/bin/env bash
# Runs every test of deploygov from a clean clone: formatting, lints, Rust unit, integration,
# property and scenario tests, doctests (the README quickstart), and the demo.
# Installs what it needs itself; needs only the Rust toolchain (cargo) on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lints (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --lib --tests --examples
fi

step "doctests (README quickstart)"
cargo test --workspace --locked --doc

step "demo (the README's main job)"
demo_db=$(mktemp -d)/demo.db
cargo run --locked -q -p deploygov --example demo -- "$demo_db" >/dev/null
rm -rf "$(dirname "$demo_db")"

step "all tests passed"
