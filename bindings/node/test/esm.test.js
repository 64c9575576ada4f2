'use strict'
// The package loads by name from CommonJS and from ES modules, with the same classes.

const { test } = require('node:test')
const assert = require('node:assert/strict')

test('require and import give the same classes', async () => {
  const cjs = require('deploygov')
  const esm = await import('deploygov')
  assert.equal(esm.Engine, cjs.Engine)
  assert.equal(esm.ManualClock, cjs.ManualClock)
  assert.equal(esm.default.Engine, cjs.Engine)
  const engine = new esm.Engine(':memory:', { clock: new esm.ManualClock('2026-01-15T09:00:00Z') })
  const p = await engine.createProject('p', 't', 'P', { id: 'root', roles: ['admin'] })
  assert.equal(p.created_at, '2026-01-15T09:00:00Z')
})
