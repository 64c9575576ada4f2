#!/usr/bin/env bash
# Runs every test of deploygov from a clean clone: Rust (format, lints, unit, integration,
# property, scenario and doc tests, the demo), then each face's own script (C ABI, Python, Node),
# which installs what it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# A run needs a few GB of disk for its builds; say what is free, so a full disk is seen as such.
df -h . | tail -n 1
# One clean build per run: cargo's incremental cache would only take disk.
export CARGO_INCREMENTAL=0

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

step "rust tests against PostgreSQL (a throwaway server on loopback, stopped on exit: scripts/postgres.sh)"
# Every test of the core again with DEPLOYGOV_TEST_POSTGRES_URL set: each engine of the tests and
# of the scenario corpus gets a new schema. The server stays up (and the URL set) for the faces.
source scripts/postgres.sh
if cargo nextest --version >/dev/null 2>&1; then
  # `--workspace` + a filter, not `-p deploygov`: the same build as above (no feature-unification rebuild).
  cargo nextest run --workspace --locked --no-fail-fast -E 'package(deploygov)'
else
  cargo test -p deploygov --locked --lib --tests
fi

step "benchmarks compile and run once (criterion test mode; numbers: docs/benchmarks.md)"
cargo test --locked --benches -p deploygov

step "doctests (README quickstart)"
cargo test --workspace --locked --doc

step "demo (the README's main job)"
demo_dir=$(mktemp -d)
cargo run --locked -q -p deploygov-cli -- demo --db "$demo_dir/demo.db" >/dev/null
cargo run --locked -q -p deploygov --example demo -- "$demo_dir/example.db" >/dev/null
rm -rf "$demo_dir"

for face in ffi bindings/python bindings/node cli; do
  if [ -f "$face/test.sh" ]; then
    step "$face"
    bash "$face/test.sh"
  fi
done

step "all tests passed"
