'use strict'
// Bad input and refusals: wrong argument types, undefined, unknown enum strings, missing ids and
// every error property (code, message, findings).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { Engine, ManualClock } = require('deploygov')
const { P, admin, developer, root, engine, item, register, request, rejects, throws } = require('./support/fixtures')
const { assertShape, unknownMembers } = require('./support/shapes')

const alice = admin('alice')

test('wrong argument types are TypeErrors with code INVALID_INPUT, as rejections', async () => {
  const { e } = await engine()
  const cases = [
    [() => e.createProject(5, 'acme', 'x', root), '`id` must be a string, got number'],
    [() => e.createProject('p2', 'acme', 'x'), '`actor` must be an object, got undefined'],
    [() => e.createProject('p2', 'acme', 'x', 'root'), '`actor` must be an object, got string'],
    [() => e.createProject('p2', 'acme', 'x', [root]), '`actor` must be an object, got array'],
    [() => e.getProject(), '`project` must be a string, got undefined'],
    [() => e.getProject(null), '`project` must be a string, got null'],
    [() => e.getProject(Symbol('p')), '`project` must be a string, got symbol'],
    [() => e.createEnvironment(P, 'qa', root), '`spec` must be an object, got string'],
    [() => e.setVariables(P, 'qa', { key: 'a', value: 'b' }, root), '`variables` must be an array, got object'],
    [() => e.setHealth(P, 'production', 1, root), '`health` must be a string, got number'],
    [() => e.requestDeployment(P, undefined, root), '`request` must be an object, got undefined'],
    [() => e.approve(P, 42, root), '`deploymentId` must be a string, got number'],
    [() => e.approve(P, 'x', root, 'lgtm'), '`options` must be an object, got string'],
    [() => e.reject(P, 'x', root), '`reason` must be a string, got undefined'],
    [() => e.cancel(P, 'x', root, 7), '`reason` must be a string, got number'],
    [() => e.execute(P, 'x', root, null, 'run'), '`executor` must be a function, got string'],
    [() => e.rollback(P, 'x', root), '`options` must be an object, got undefined'],
    [() => e.check(P, 'x', root, 3), '`action` must be a string, got number'],
    [() => e.listDeployments(P, 'all'), '`filter` must be an object, got string'],
    [() => e.entityHistory(P, 'a', 'b', 1.5), '`limit` must be an integer between 0 and 4294967295, got 1.5'],
    [() => e.entityHistory(P, 'a', 'b', '10'), '`limit` must be a number, got string'],
    [() => e.auditLog(P, 5), '`objectId` must be a string, got number'],
    [() => e.auditLog(P, null, -1.5), '`afterSeq` must be an integer between -9007199254740991 and 9007199254740991, got -1.5'],
    [() => e.auditLog(P, null, 0, -1), '`limit` must be an integer between 0 and 4294967295, got -1'],
    [() => e.requestDeployment(P, { environment: 'x', name: 'y', items: [], description: () => 1 }, root), 'is not plain data'],
  ]
  for (const [call, message] of cases) {
    const err = await rejects(call(), 'INVALID_INPUT', TypeError)
    assert.ok(err.message.includes(message), `${err.message} should contain ${message}`)
  }
})

test('synchronous methods and constructors throw the same TypeErrors', async () => {
  const { e } = await engine()
  throws(() => e.activeVersionSync(P, 'production', 'prompt_version'), 'INVALID_INPUT', TypeError)
  throws(() => e.activeVersionTagSync(P, 'production', 'prompt_version'), 'INVALID_INPUT', TypeError)
  throws(() => e.activeVersionTagSync(P, 'production', 42, 'chatbot'), 'INVALID_INPUT', TypeError)
  throws(() => e.registerValidator('v', 'not a function'), 'INVALID_INPUT', TypeError)
  throws(() => e.registerValidator(1, () => []), 'INVALID_INPUT', TypeError)
  throws(() => e.unregisterValidator(), 'INVALID_INPUT', TypeError)
  throws(() => new Engine(), 'INVALID_INPUT', TypeError)
  throws(() => new Engine(':memory:', 'fast'), 'INVALID_INPUT', TypeError)
  throws(() => new Engine(':memory:', { clock: {} }), 'INVALID_INPUT', TypeError)
  throws(() => new Engine(':memory:', { callback_timeout_ms: 0 }), 'INVALID_INPUT', TypeError)
  throws(() => new Engine(':memory:', { callback_timeout_ms: 'soon' }), 'INVALID_INPUT', TypeError)
  throws(() => new ManualClock(), 'INVALID_INPUT', TypeError)
  throws(() => new ManualClock('2026-01-15T09:00:00Z').advance('1'), 'INVALID_INPUT', TypeError)
  throws(() => new ManualClock('2026-01-15T09:00:00Z').advance(Infinity), 'INVALID_INPUT', TypeError)
  const bad = throws(() => new ManualClock('yesterday'), 'INVALID_INPUT')
  assert.ok(!(bad instanceof TypeError), 'a string that is not a time is invalid input, not a type error')
  await rejects(Engine.open(1), 'INVALID_INPUT', TypeError)
  // optional options and filters accept undefined and null
  assert.ok(new Engine(':memory:', null))
  assert.ok(new Engine(':memory:', { clock: null, callback_timeout_ms: undefined }))
  assert.equal((await e.listDeployments(P, null)).items.length, 0)
  assert.equal((await e.listDeployments(P, undefined)).items.length, 0)
})

test('content that does not fit the core is the core invalid_input: unknown enum strings, missing fields', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'p', '1.0.0')
  let err = await rejects(e.setHealth(P, 'production', 'sick', root), 'INVALID_INPUT')
  assert.match(err.message, /unknown Health `sick`, expected one of: healthy, degraded, down/)
  err = await rejects(e.check(P, 'x', root, 'deploy'), 'INVALID_INPUT')
  assert.match(err.message, /unknown Action `deploy`/)
  err = await rejects(e.requestDeployment(P, request('production', [item('prompt_version', 'p', '1.0.0', { risk: 'extreme' })]), root), 'INVALID_INPUT')
  assert.match(err.message, /invalid `request`: unknown variant `extreme`/)
  err = await rejects(e.listDeployments(P, { status: 'done' }), 'INVALID_INPUT')
  assert.match(err.message, /unknown variant `done`/)
  err = await rejects(e.requestDeployment(P, { environment: 'production', items: [] }, root), 'INVALID_INPUT')
  assert.match(err.message, /missing field `name`/)
  err = await rejects(e.createProject('', 'acme', 'x', root), 'INVALID_INPUT')
  assert.match(err.message, /project id must not be empty/)
  await rejects(e.createProject('p2', 'acme', 'x', { id: '' }), 'INVALID_INPUT')
  await rejects(e.createProject('p2', 'acme', 'x', { roles: ['admin'] }), 'INVALID_INPUT')
  await rejects(e.reject(P, 'x', root, '   '), 'INVALID_INPUT')
  await rejects(e.entityHistory(P, 'a', 'b', 0), 'INVALID_INPUT')
  await rejects(e.listDeployments(P, { limit: 501 }), 'INVALID_INPUT')
  await rejects(e.setPolicy(P, 'production', { approval_rules: [{ name: 'x', required_approvals: 1, eligible_roles: [] }] }, root), 'INVALID_INPUT')
  throws(() => e.registerValidator('', () => []), 'INVALID_INPUT')
})

test('a misspelled member of an input object is INVALID_INPUT naming it (the core refuses unknown fields)', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'p', '1.0.0')
  const ok = request('development', [item('prompt_version', 'p', '1.0.0')])
  const cases = [
    [() => e.requestDeployment(P, { ...ok, enviroment: 'x' }, root), 'invalid `request`: unknown field `enviroment`'],
    [() => e.requestDeployment(P, { ...ok, items: [item('prompt_version', 'p', '1.0.0', { risk_level: 'low' })] }, root), 'unknown field `risk_level`'],
    [() => e.createEnvironment(P, { name: 'qa', urls: 'https://qa' }, root), 'invalid `spec`: unknown field `urls`'],
    [() => e.createEnvironment(P, { name: 'qa', policy: { four_eye: false } }, root), 'unknown field `four_eye`'],
    [() => e.setPolicy(P, 'qa', { rollback: { roles: [], required: true } }, root), 'invalid `policy`: unknown field `required`'],
    [() => e.setVariables(P, 'development', [{ key: 'A', value: 'b', secrett: true }], root), 'invalid `variables`: unknown field `secrett`'],
    [() => e.approve(P, 'x', root, { coment: 'lgtm' }), 'invalid `options`: unknown field `coment`'],
    [() => e.execute(P, 'x', root, { break_glass: 'outage' }), 'invalid `options`: unknown field `break_glass`'],
    [() => e.rollback(P, 'x', root, { reason: 'r', targett: 'y' }), 'invalid `options`: unknown field `targett`'],
    [() => e.listDeployments(P, { statuss: 'pending' }), 'invalid `filter`: unknown field `statuss`'],
    [() => e.createProject('p2', 'acme', 'x', { id: 'root', role: ['admin'] }), 'invalid `actor`: unknown field `role`'],
  ]
  for (const [call, message] of cases) {
    const err = await rejects(call(), 'INVALID_INPUT')
    assert.ok(!(err instanceof TypeError), 'content the core refuses is not a type error')
    assert.ok(err.message.includes(message), `${err.message} should contain ${message}`)
  }
  // Members set to undefined are absent, not unknown.
  const d = await e.requestDeployment(P, { ...ok, idempotency_key: undefined, description: undefined }, root)
  assert.equal(d.description, null)
  // The exception: a catalog entry keeps tolerating members it does not know (they are dropped).
  const v = await register(e, 'prompt_version', 'p', '2.0.0', { checksum: 'abc' })
  assert.equal(v.version_tag, '2.0.0')
  assert.equal('checksum' in v, false)
  assert.equal((await e.listEnvironments(P)).length, 3, 'nothing was created by the refused calls')
})

test('events: wrong argument types are TypeErrors, out-of-range content is the core INVALID_INPUT', async () => {
  const { e } = await engine()
  for (const [call, message] of [
    [() => e.eventsAfter(5), '`project` must be a string, got number'],
    [() => e.eventsAfter(P, '3'), '`afterSeq` must be a number, got string'],
    [() => e.eventsAfter(P, 1.5), '`afterSeq` must be an integer'],
    [() => e.eventsAfter(P, 0, -1), '`limit` must be an integer between 0 and 4294967295, got -1'],
  ]) {
    const err = await rejects(call(), 'INVALID_INPUT', TypeError)
    assert.ok(err.message.includes(message), `${err.message} should contain ${message}`)
  }
  for (const [call, message] of [
    [() => e.eventsAfter(P, 0, 0), 'limit must be between 1 and 1000, got `0`'],
    [() => e.eventsAfter(null, 0, 1001), 'limit must be between 1 and 1000, got `1001`'],
    [() => e.eventsAfter(P, -1), 'after_seq must not be negative, got `-1`'],
  ]) {
    const err = await rejects(call(), 'INVALID_INPUT')
    assert.ok(!(err instanceof TypeError))
    assert.ok(err.message.includes(message), `${err.message} should contain ${message}`)
  }
  for (const key of [undefined, 'secret', 42, {}, [1, 2], new Uint16Array([1]), new ArrayBuffer(4)]) {
    const err = throws(() => e.setEventSigningKey(key), 'INVALID_INPUT', TypeError)
    assert.match(err.message, /^`key` must be a Buffer, a Uint8Array or null, got /)
  }
  const empty = throws(() => e.setEventSigningKey(Buffer.alloc(0)), 'INVALID_INPUT')
  assert.ok(!(empty instanceof TypeError), 'an empty key is refused by the core')
  assert.equal(empty.message, 'the signing key must not be empty')
  throws(() => e.setEventSigningKey(new Uint8Array(0)), 'INVALID_INPUT')
  throws(() => e.subscribe('s', 'not a function'), 'INVALID_INPUT', TypeError)
  throws(() => e.subscribe(1, () => {}), 'INVALID_INPUT', TypeError)
  throws(() => e.subscribe('s'), 'INVALID_INPUT', TypeError)
  const name = throws(() => e.subscribe('', () => {}), 'INVALID_INPUT')
  assert.ok(!(name instanceof TypeError), 'an empty name is refused by the core')
  throws(() => e.unsubscribe(), 'INVALID_INPUT', TypeError)
  assert.equal(e.unsubscribe('never-subscribed'), false)
})

test('missing ids are NOT_FOUND, in every scope', async () => {
  const { e } = await engine()
  await rejects(e.getProject('nope'), 'NOT_FOUND')
  await rejects(e.listEnvironments('nope'), 'NOT_FOUND')
  await rejects(e.getEnvironment(P, 'nope'), 'NOT_FOUND')
  await rejects(e.createEnvironment('nope', { name: 'x' }, root), 'NOT_FOUND')
  await rejects(e.setHealth(P, 'nope', 'down', root), 'NOT_FOUND')
  await rejects(e.getDeployment(P, 'nope'), 'NOT_FOUND')
  await rejects(e.approve(P, 'nope', root), 'NOT_FOUND')
  await rejects(e.execute(P, 'nope', root), 'NOT_FOUND')
  await rejects(e.rollback(P, 'nope', root, { reason: 'x' }), 'NOT_FOUND')
  await rejects(e.check(P, 'nope', root, 'approve'), 'NOT_FOUND')
  await rejects(e.activeState(P, 'nope'), 'NOT_FOUND')
  await rejects(e.compareEnvironments(P, 'staging', 'nope'), 'NOT_FOUND')
  await rejects(e.auditLog('nope'), 'NOT_FOUND')
  await rejects(e.requestDeployment(P, request('nope', [item('a', 'b', '1')]), root), 'NOT_FOUND')
  assert.equal(e.activeVersionSync('nope', 'nope', 'a', 'b'), null)
  assert.equal(e.unregisterValidator('never-registered'), false)
})

test('refusals carry the core error kind; validation failures carry every finding', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'p', '1.0.0')
  await rejects(e.createProject('p2', 'acme', 'x', developer('dave')), 'FORBIDDEN')
  await rejects(e.createProject(P, 'acme', 'again', root), 'CONFLICT')
  const d = await e.requestDeployment(P, request('production', [item('prompt_version', 'p', '1.0.0')]), alice)
  const self = await rejects(e.approve(P, d.id, alice), 'SELF_APPROVAL')
  assert.equal(self.message, 'actor `alice` requested this deployment and cannot approve it (4-eyes)')
  await rejects(e.execute(P, d.id, alice), 'POLICY_VIOLATION')
  await e.reject(P, d.id, admin('bob'), 'no')
  await rejects(e.approve(P, d.id, admin('bob')), 'INVALID_TRANSITION')

  const err = await rejects(
    e.requestDeployment(P, request('production', [item('prompt_version', 'p', '9.9.9'), item('prompt_version', 'p', '1.0.0')]), alice),
    'VALIDATION_FAILED',
  )
  assertShape('ValidationReport', err.findings)
  assert.deepEqual(err.findings.errors.map((f) => [f.code, f.item]), [['duplicate_item', 1], ['unknown_version', 0]])
  assert.match(err.message, /validation failed: 2 error\(s\)/)
  assert.equal(self.findings, undefined, 'only validation failures carry findings')
})

test('the shape checker itself finds unknown and missing members', async () => {
  assert.deepEqual(unknownMembers('DeploymentRequest', { environment: 'x', name: 'y', items: [{ entity_type: 'a', entity_idd: 'b' }] }), [
    'unknown member `DeploymentRequest.items.0.entity_idd`',
  ])
  assert.deepEqual(unknownMembers('EnvironmentSpec', { name: 'x', policy: { four_eyes: true, rollback: { roles: [], required: true } } }), [
    'unknown member `EnvironmentSpec.policy.rollback.required`',
  ])
  assert.deepEqual(unknownMembers('VersionSpec', { entity_type: 'a', entity_id: 'b', version_tag: 'c', metadata: { anything: { goes: 1 } } }), [])
  assert.throws(() => assertShape('Project', { id: 'p', tenant: 't', name: 'n' }), /missing member `Project.created_at`/)
})
