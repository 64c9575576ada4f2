'use strict'
// Shared set-up for the tests: an in-memory engine on a manual clock with project `japm` and the
// environments development, staging and production under their default policies.

const assert = require('node:assert/strict')
const { Engine, ManualClock } = require('deploygov')

const P = 'japm'
const admin = (id) => ({ id, roles: ['admin'] })
const lead = (id) => ({ id, roles: ['lead'] })
const developer = (id) => ({ id, roles: ['developer'] })
const root = admin('root')

async function engine(options = {}) {
  const clock = new ManualClock('2026-01-15T09:00:00Z')
  const e = new Engine(':memory:', { clock, ...options })
  await e.createProject(P, 'acme', 'JAPM', root)
  for (const name of ['development', 'staging', 'production']) await e.createEnvironment(P, { name }, root)
  return { e, clock }
}

const item = (entity_type, entity_id, version_tag, extra = {}) => ({ entity_type, entity_id, version_tag, ...extra })

async function register(e, entity_type, entity_id, version_tag, extra = {}) {
  return e.registerVersion(P, { entity_type, entity_id, version_tag, ...extra }, admin('ci'))
}

function request(environment, items, extra = {}) {
  return { environment, name: `deploy-${environment}`, items, ...extra }
}

/** Awaits `p` and checks it rejects with a deploygov error of `code` (and the class `type`). */
async function rejects(p, code, type = Error) {
  let err
  try {
    await p
  } catch (e) {
    err = e
  }
  assert.ok(err, `expected a rejection with ${code}`)
  assert.ok(err instanceof type, `expected a ${type.name}, got ${err && err.constructor && err.constructor.name}: ${err}`)
  assert.equal(err.code, code, err.message)
  assert.equal(typeof err.message, 'string')
  assert.ok(err.message.length > 0)
  return err
}

/** Calls `f` and checks it throws a deploygov error of `code` (and the class `type`). */
function throws(f, code, type = Error) {
  let err
  try {
    f()
  } catch (e) {
    err = e
  }
  assert.ok(err, `expected a throw with ${code}`)
  assert.ok(err instanceof type, `expected a ${type.name}, got ${err}`)
  assert.equal(err.code, code, err.message)
  return err
}

module.exports = { P, admin, lead, developer, root, engine, item, register, request, rejects, throws }
