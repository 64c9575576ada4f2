'use strict'
// Version quarantine (`quarantineVersion`, `releaseVersion`, the policy's
// `quarantine_on_rollback`) and schedules (`scheduled_for` / `expires_at` on a request, `due`,
// the sweep cancelling expired ones): happy paths, wrong argument types, and every error code.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { P, admin, developer, lead, root, engine, item, register, request, rejects } = require('./support/fixtures')
const { assertShape } = require('./support/shapes')

const alice = admin('alice')
const dave = developer('dave')
const lena = lead('lena')
const CHATBOT = ['prompt_version', 'chatbot']
const NIL_ID = '01234567-0000-7000-8000-000000000000'

const chatbot = (tag) => item(...CHATBOT, tag)

/** Requests `tag` of the chatbot in development (approved at once) and executes it. */
async function live(e, tag) {
  const d = await e.requestDeployment(P, request('development', [chatbot(tag)]), dave)
  const done = await e.execute(P, d.id, dave)
  assert.equal(done.status, 'deployed')
  return done
}

test('quarantineVersion: the version is refused in requests and promotions until releaseVersion', async () => {
  const { e } = await engine()
  await register(e, ...CHATBOT, '1.0.0')
  const staged = await live(e, '1.0.0')

  const q = await e.quarantineVersion(P, ...CHATBOT, '1.0.0', alice, '  leaks pii ')
  assertShape('Version', q)
  assertShape('Decision', q.quarantine)
  assert.deepEqual([q.entity_type, q.entity_id, q.version_tag], [...CHATBOT, '1.0.0'])
  assert.deepEqual(q.quarantine, { actor_id: 'alice', at: '2026-01-15T09:00:00Z', reason: 'leaks pii' }, 'the reason is trimmed')
  assert.deepEqual((await e.listVersions(P, ...CHATBOT))[0].quarantine, q.quarantine)

  const refused = await rejects(e.requestDeployment(P, request('staging', [chatbot('1.0.0')]), dave), 'VALIDATION_FAILED')
  assert.deepEqual(refused.findings.errors.map((f) => [f.code, f.item]), [['version_quarantined', 0]])
  assert.match(refused.findings.errors[0].message, /is quarantined: leaks pii/)
  const promotion = await rejects(e.promote(P, staged.id, 'staging', dave), 'VALIDATION_FAILED')
  assert.deepEqual(promotion.findings.errors.map((f) => f.code), ['version_quarantined'])
  // What is already live stays live: quarantine governs new deployments only.
  assert.equal(e.activeVersionSync(P, 'development', ...CHATBOT).deployment_id, staged.id)

  const released = await e.releaseVersion(P, ...CHATBOT, '1.0.0', alice, 'fixed upstream')
  assertShape('Version', released)
  assert.equal(released.quarantine, null)
  const promoted = await e.promote(P, staged.id, 'staging', dave)
  assert.deepEqual([promoted.kind, promoted.status], ['promotion', 'pending'])

  const audit = await e.auditLog(P, 'prompt_version/chatbot@1.0.0')
  assert.deepEqual(
    audit.map((a) => [a.action, a.actor_id, a.reason]),
    [
      ['version.registered', 'ci', null],
      ['version.quarantined', 'alice', 'leaks pii'],
      ['version.released', 'alice', 'fixed upstream'],
    ],
  )
  const kinds = (await e.eventsAfter(P, 0, 1000)).filter((x) => x.object_type === 'version').map((x) => x.kind)
  assert.deepEqual(kinds, ['version.registered', 'version.quarantined', 'version.released'])
  await e.verifyAudit()
})

test('quarantineVersion / releaseVersion: error codes', async () => {
  const { e } = await engine()
  await register(e, ...CHATBOT, '1.0.0')
  for (const f of [e.quarantineVersion, e.releaseVersion]) {
    const call = (...args) => f.call(e, ...args)
    await rejects(call(P, ...CHATBOT, '1.0.0', dave, 'x'), 'FORBIDDEN')
    await rejects(call(P, ...CHATBOT, '1.0.0', lena, 'x'), 'FORBIDDEN')
    const blank = await rejects(call(P, ...CHATBOT, '1.0.0', alice, ' '), 'INVALID_INPUT')
    assert.ok(!(blank instanceof TypeError), 'a blank reason is the core refusing content')
    assert.match(blank.message, /reason is required/)
    await rejects(call(P, ...CHATBOT, '1.0.0', { id: '', roles: ['admin'] }, 'x'), 'INVALID_INPUT')
    await rejects(call(P, ...CHATBOT, '1.0.0', { id: 'x', roles: ['admin'], role: 'admin' }, 'x'), 'INVALID_INPUT')
    const missing = await rejects(call(P, ...CHATBOT, '9.9.9', alice, 'x'), 'NOT_FOUND')
    assert.match(missing.message, /`9.9.9` of `prompt_version` `chatbot` is not in the catalog/)
    await rejects(call(P, 'ai_model', 'chatbot', '1.0.0', alice, 'x'), 'NOT_FOUND')
    await rejects(call('nope', ...CHATBOT, '1.0.0', alice, 'x'), 'NOT_FOUND')
  }
  // Each only from the other state.
  const notQuarantined = await rejects(e.releaseVersion(P, ...CHATBOT, '1.0.0', alice, 'x'), 'CONFLICT')
  assert.match(notQuarantined.message, /is not quarantined/)
  await e.quarantineVersion(P, ...CHATBOT, '1.0.0', { id: 'tia', roles: ['tenant_admin'] }, 'bad')
  const twice = await rejects(e.quarantineVersion(P, ...CHATBOT, '1.0.0', alice, 'again'), 'CONFLICT')
  assert.match(twice.message, /is already quarantined/)
  // The refusals wrote nothing: one registration, one quarantine.
  assert.deepEqual((await e.auditLog(P, 'prompt_version/chatbot@1.0.0')).map((a) => a.action), ['version.registered', 'version.quarantined'])
  assert.equal((await e.listVersions(P, ...CHATBOT))[0].quarantine.actor_id, 'tia')
})

test('quarantineVersion / releaseVersion / due: wrong argument types are TypeErrors', async () => {
  const { e } = await engine()
  await register(e, ...CHATBOT, '1.0.0')
  for (const [name, f] of [
    ['quarantineVersion', e.quarantineVersion],
    ['releaseVersion', e.releaseVersion],
  ]) {
    for (const [args, message] of [
      [[1, ...CHATBOT, '1.0.0', alice, 'x'], '`project` must be a string, got number'],
      [[P, null, 'chatbot', '1.0.0', alice, 'x'], '`entityType` must be a string, got null'],
      [[P, 'prompt_version', {}, '1.0.0', alice, 'x'], '`entityId` must be a string, got object'],
      [[P, ...CHATBOT, 1, alice, 'x'], '`versionTag` must be a string, got number'],
      [[P, ...CHATBOT, '1.0.0', 'alice', 'x'], '`actor` must be an object, got string'],
      [[P, ...CHATBOT, '1.0.0', alice], '`reason` must be a string, got undefined'],
      [[P, ...CHATBOT, '1.0.0', alice, null], '`reason` must be a string, got null'],
    ]) {
      const err = await rejects(f.call(e, ...args), 'INVALID_INPUT', TypeError)
      assert.ok(err.message.includes(message), `${name}: ${err.message} should contain ${message}`)
    }
  }
  for (const [args, message] of [
    [[], '`project` must be a string, got undefined'],
    [[5], '`project` must be a string, got number'],
    [[['japm']], '`project` must be a string, got array'],
  ]) {
    const err = await rejects(e.due(...args), 'INVALID_INPUT', TypeError)
    assert.ok(err.message.includes(message), `due: ${err.message} should contain ${message}`)
  }
  await rejects(e.due('nope'), 'NOT_FOUND')
  await rejects(e.due(''), 'NOT_FOUND')
  assert.equal((await e.listVersions(P, ...CHATBOT))[0].quarantine, null)
})

test('policy quarantine_on_rollback: a rollback quarantines the versions it took out', async () => {
  const { e } = await engine()
  for (const tag of ['1.0.0', '1.1.0']) await register(e, ...CHATBOT, tag)
  await register(e, 'ai_model', 'gpt', '4.0.0')
  const dev = await e.getEnvironment(P, 'development')
  assert.equal(dev.policy.quarantine_on_rollback, false, 'off by default')
  const set = await e.setPolicy(P, 'development', { ...dev.policy, quarantine_on_rollback: true }, root)
  assertShape('Environment', set)
  assert.equal(set.policy.quarantine_on_rollback, true)
  await rejects(e.setPolicy(P, 'development', { quarantine_on_rollback: 'yes' }, root), 'INVALID_INPUT')

  await live(e, '1.0.0')
  const v2 = await e.requestDeployment(P, request('development', [chatbot('1.1.0'), item('ai_model', 'gpt', '4.0.0')]), dave)
  await e.execute(P, v2.id, dave)
  const rb = await e.rollback(P, v2.id, dave, { reason: 'hallucinates' })
  assert.equal(rb.status, 'deployed')
  assert.equal(e.activeVersionSync(P, 'development', ...CHATBOT).version_tag, '1.0.0')

  const [v110] = (await e.listVersions(P, ...CHATBOT)).filter((v) => v.version_tag === '1.1.0')
  assert.equal(v110.quarantine.actor_id, 'deploygov:auto')
  assert.equal(v110.quarantine.reason, `rolled back in \`development\` by \`${rb.id}\``)
  // The model had nothing before: the rollback removed it, and quarantined that version too.
  assert.equal((await e.listVersions(P, 'ai_model', 'gpt'))[0].quarantine.actor_id, 'deploygov:auto')
  // The version restored is not quarantined.
  assert.equal((await e.listVersions(P, ...CHATBOT)).find((v) => v.version_tag === '1.0.0').quarantine, null)

  const onward = await rejects(e.requestDeployment(P, request('staging', [chatbot('1.1.0')]), dave), 'VALIDATION_FAILED')
  assert.deepEqual(onward.findings.errors.map((f) => f.code), ['version_quarantined'])
  const audit = await e.auditLog(P, 'prompt_version/chatbot@1.1.0')
  assert.deepEqual([audit.at(-1).action, audit.at(-1).actor_id], ['version.quarantined', 'deploygov:auto'])

  // An admin may release it; and without the policy a rollback quarantines nothing.
  await e.releaseVersion(P, ...CHATBOT, '1.1.0', alice, 'root cause fixed')
  await e.setPolicy(P, 'development', { ...set.policy, quarantine_on_rollback: false }, root)
  const again = await live(e, '1.1.0')
  await e.rollback(P, again.id, dave, { reason: 'still bad' })
  assert.equal((await e.listVersions(P, ...CHATBOT)).find((v) => v.version_tag === '1.1.0').quarantine, null)
  await e.verifyAudit()
})

test('schedules: a request scheduled for later is not due, refused before its time, then runs', async () => {
  const { e, clock } = await engine()
  await register(e, ...CHATBOT, '1.0.0')
  await register(e, 'ai_model', 'gpt', '4.0.0')

  // Any offset; read back in UTC.
  const night = await e.requestDeployment(P, request('development', [chatbot('1.0.0')], { scheduled_for: '2026-01-15T23:00:00+01:00' }), dave)
  assertShape('Deployment', night)
  assert.deepEqual([night.status, night.scheduled_for, night.expires_at], ['approved', '2026-01-15T22:00:00Z', null])
  const now = await e.requestDeployment(P, request('development', [item('ai_model', 'gpt', '4.0.0')]), dave)
  assert.deepEqual([now.scheduled_for, now.expires_at], [null, null])

  assert.deepEqual((await e.due(P)).map((d) => d.id), [now.id])
  const early = await rejects(e.execute(P, night.id, dave), 'VALIDATION_FAILED')
  assert.deepEqual(early.findings.errors.map((f) => f.code), ['not_yet_due'])
  assert.match(early.findings.errors[0].message, /is scheduled for/)
  const dry = await e.check(P, night.id, dave, 'execute')
  assert.deepEqual([dry.allowed, dry.findings.errors.map((f) => f.code)], [false, ['not_yet_due']])
  assert.equal((await e.getDeployment(P, night.id)).status, 'approved', 'the refusal changed nothing')

  clock.set('2026-01-15T22:00:00Z')
  const due = await e.due(P)
  due.forEach((d) => assertShape('Deployment', d))
  assert.deepEqual(due.map((d) => d.id), [night.id, now.id].sort(), 'oldest first')
  assert.equal(due[0].id, night.id)
  const done = await e.execute(P, night.id, dave)
  assert.deepEqual([done.status, done.scheduled_for], ['deployed', '2026-01-15T22:00:00Z'])
  assert.deepEqual((await e.due(P)).map((d) => d.id), [now.id], 'deployed: no longer due')

  // Only approved deployments are due: a pending staging one is not.
  const pending = await e.requestDeployment(P, request('staging', [chatbot('1.0.0')]), dave)
  assert.equal(pending.status, 'pending')
  assert.ok(!(await e.due(P)).some((d) => d.id === pending.id))
  await e.approve(P, pending.id, lena)
  assert.deepEqual((await e.due(P)).map((d) => d.id), [now.id, pending.id])
})

test('schedules: bad input', async () => {
  const { e } = await engine()
  await register(e, ...CHATBOT, '1.0.0')
  const req = (extra) => request('development', [chatbot('1.0.0')], extra)
  const order = await rejects(e.requestDeployment(P, req({ scheduled_for: '2026-01-16T10:00:00Z', expires_at: '2026-01-16T09:00:00Z' }), dave), 'INVALID_INPUT')
  assert.match(order.message, /is not after scheduled_for/)
  await rejects(e.requestDeployment(P, req({ scheduled_for: '2026-01-16T10:00:00Z', expires_at: '2026-01-16T10:00:00Z' }), dave), 'INVALID_INPUT')
  for (const bad of ['tomorrow', '2026-01-16', 5, new Date()]) {
    const err = await rejects(e.requestDeployment(P, req({ scheduled_for: bad }), dave), 'INVALID_INPUT')
    assert.ok(!(err instanceof TypeError), 'a member that does not fit is content the core refuses')
    assert.match(err.message, /invalid `request`/)
  }
  await rejects(e.requestDeployment(P, req({ expires_at: 'never' }), dave), 'INVALID_INPUT')
  await rejects(e.requestDeployment(P, req({ scheduled: '2026-01-16T10:00:00Z' }), dave), 'INVALID_INPUT')
  // `null` is the same as leaving them out.
  const d = await e.requestDeployment(P, req({ scheduled_for: null, expires_at: null }), dave)
  assert.deepEqual([d.scheduled_for, d.expires_at], [null, null])
  assert.equal((await e.listDeployments(P)).items.length, 1)

  // The schedule is part of an idempotent request's content.
  const keyed = (extra) => req({ idempotency_key: 'nightly', ...extra })
  const first = await e.requestDeployment(P, keyed({ scheduled_for: '2026-01-16T01:00:00Z' }), dave)
  assert.equal((await e.requestDeployment(P, keyed({ scheduled_for: '2026-01-16T02:00:00+01:00' }), dave)).id, first.id)
  await rejects(e.requestDeployment(P, keyed({ scheduled_for: '2026-01-16T03:00:00Z' }), dave), 'CONFLICT')
})

test('sweep: deployments not started before expires_at are cancelled', async () => {
  const { e, clock } = await engine()
  await register(e, ...CHATBOT, '1.0.0')
  await register(e, 'ai_model', 'gpt', '4.0.0')
  const window = await e.requestDeployment(P, request('development', [chatbot('1.0.0')], { expires_at: '2026-01-15T10:00:00Z' }), dave)
  const waiting = await e.requestDeployment(P, request('staging', [item('ai_model', 'gpt', '4.0.0')], { expires_at: '2026-01-15T09:30:00Z' }), dave)
  const open = await e.requestDeployment(P, request('staging', [chatbot('1.0.0')], { expires_at: '2026-01-16T09:00:00Z' }), dave)
  assert.deepEqual([window.status, waiting.status, open.status], ['approved', 'pending', 'pending'])
  assert.equal(window.expires_at, '2026-01-15T10:00:00Z')

  const nothing = await e.sweep()
  assertShape('SweepReport', nothing)
  assert.deepEqual(nothing, { leases_expired: [], approvals_expired: [], schedules_expired: [] })
  assert.deepEqual((await e.due(P)).map((d) => d.id), [window.id])

  clock.advance(3600)
  assert.deepEqual(await e.due(P), [], 'an expired deployment is not due')
  const late = await rejects(e.execute(P, window.id, dave), 'VALIDATION_FAILED')
  assert.deepEqual(late.findings.errors.map((f) => f.code), ['schedule_expired'])

  const swept = await e.sweep()
  assertShape('SweepReport', swept)
  assert.deepEqual(swept.leases_expired, [])
  assert.deepEqual(swept.approvals_expired, [])
  assert.deepEqual([...swept.schedules_expired].sort(), [window.id, waiting.id].sort(), 'pending and approved alike')
  for (const id of [window.id, waiting.id]) {
    const d = await e.getDeployment(P, id)
    assert.equal(d.status, 'cancelled')
    assert.equal(d.cancellation.actor_id, 'deploygov:sweep')
    assert.equal(d.cancellation.reason, 'the schedule expired before the deployment started')
    const last = (await e.auditLog(P, id)).at(-1)
    assert.deepEqual([last.action, last.actor_id], ['deployment.cancelled', 'deploygov:sweep'])
  }
  const events = (await e.eventsAfter(P, 0, 1000)).filter((x) => x.object_id === window.id)
  assert.deepEqual([events.at(-1).kind, events.at(-1).actor_id], ['deployment.cancelled', 'deploygov:sweep'])
  assert.equal((await e.getDeployment(P, open.id)).status, 'pending', 'not expired yet')

  assert.deepEqual(await e.sweep(), { leases_expired: [], approvals_expired: [], schedules_expired: [] }, 'idempotent')
  await rejects(e.execute(P, window.id, dave), 'INVALID_TRANSITION')
  await e.verifyAudit()
})
