#!/usr/bin/env bash
# Builds and tests the Node face from a clean checkout: npm install, the release addon, the
# generated index.d.ts / index.js against the committed ones, the TypeScript usage check, the
# node:test suites (every method, bad input, callbacks, concurrency, the shared scenario
# corpus), then the NestJS example end to end. Needs Node >= 20 with npm, and cargo.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n--> node: %s\n' "$*"; }
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

step "npm install (not npm ci: the lockfile lacks some foreign-platform optional packages of @napi-rs/cli)"
npm install --no-audit --no-fund

step "build the addon (napi build --platform --release)"
npx napi build --platform --release

step "index.d.ts and index.js are the committed ones"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  for f in index.d.ts index.js; do
    if git ls-files --error-unmatch "$f" >/dev/null 2>&1; then
      git diff --exit-code -- "$f" || { echo "bindings/node/$f changed when regenerated: commit the regenerated file" >&2; exit 1; }
    elif [ "${CI:-}" = "true" ]; then
      echo "bindings/node/$f is not committed" >&2
      exit 1
    else
      echo "warning: bindings/node/$f is not committed yet"
    fi
  done
fi

step "types (tsc --noEmit over type-tests/)"
npx tsc --noEmit -p type-tests

step "node --test"
node --test test/*.test.js

step "NestJS example, end to end"
cd ../../examples/nestjs
npm install --no-audit --no-fund
npx tsc -p tsconfig.json
node --test test/*.test.js
