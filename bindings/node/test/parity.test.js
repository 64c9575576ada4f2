'use strict'
// Parity with the core: every public method of the core's `Engine` (core/src/engine/*.rs) has
// a JavaScript method of the camelCase name, on the class and in index.d.ts.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Engine } = require('deploygov')

const CORE_ENGINE = path.join(__dirname, '..', '..', '..', 'core', 'src', 'engine')
// Rust methods with a JavaScript spelling of their own: `open(path)` is `new Engine(path)` or
// `Engine.open(path)`, `in_memory()` is `new Engine(':memory:')`, `with_store(store, clock)` is
// `new Engine(path, { clock })`; `active_version_shared` is `active_version` returning a shared
// `Arc` (a Rust-only allocation detail: `activeVersion` / `activeVersionSync` give the same
// entry); methods marked `#[doc(hidden)]` are not public API.
const RUST_ONLY = new Set(['open', 'in_memory', 'with_store', 'active_version_shared'])

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** The `pub fn` names of the core's Engine, without those marked `#[doc(hidden)]`. */
function coreMethods() {
  const names = new Set()
  for (const file of fs.readdirSync(CORE_ENGINE).filter((f) => f.endsWith('.rs'))) {
    const source = fs.readFileSync(path.join(CORE_ENGINE, file), 'utf8')
    for (const m of source.matchAll(/^(?<attrs>(?:[ \t]*(?:#\[[^\n]*\]|\/\/\/[^\n]*)\n)*)[ \t]*pub fn (?<name>\w+)\(/gm)) {
      if (!m.groups.attrs.includes('#[doc(hidden)]')) names.add(m.groups.name)
    }
  }
  return names
}

test('every public core Engine method has a JavaScript method', { skip: !fs.existsSync(CORE_ENGINE) && 'the core sources are not next to this package' }, () => {
  const names = coreMethods()
  assert.ok(names.size > 40, `found only ${names.size} core methods in ${CORE_ENGINE}`)
  const missing = [...names].filter((n) => !RUST_ONLY.has(n) && typeof Engine.prototype[camel(n)] !== 'function').sort()
  assert.deepEqual(missing, [], `core Engine methods without a JavaScript method: ${missing.join(', ')}`)
  assert.equal(typeof Engine.open, 'function')
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const undeclared = [...names].filter((n) => !RUST_ONLY.has(n) && !new RegExp(`^  ${camel(n)}\\(`, 'm').test(dts)).sort()
  assert.deepEqual(undeclared, [], `methods missing from index.d.ts: ${undeclared.join(', ')}`)
})
