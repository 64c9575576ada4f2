'use strict'
// Promotion (`promote`, `requires_success_in`), the sweep (expired execution leases and
// approvals), `releaseLease`, and the point-in-time queries (`activeStateAt`,
// `deploymentsLiveAt`): happy paths, wrong argument types, and every error code. The lease tests
// follow core/tests/governance.rs: an executor that "hangs" past its lease (it moves the manual
// clock and awaits the sweep) or is released by an admin while it runs.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { P, admin, developer, lead, root, engine, item, register, request, rejects } = require('./support/fixtures')
const { assertShape } = require('./support/shapes')

const [alice, bob, carol] = [admin('alice'), admin('bob'), admin('carol')]
const dave = developer('dave')
const lena = lead('lena')
const START = '2026-01-15T09:00:00Z'

/** An approved development deployment of `chatbot` at `tag` (development needs no approval). */
async function ready(e, tag) {
  const d = await e.requestDeployment(P, request('development', [item('prompt_version', 'chatbot', tag)]), alice)
  assert.equal(d.status, 'approved')
  return d
}

/** Production requires the versions to have gone live in staging first. */
async function gated(e) {
  const { policy } = await e.getEnvironment(P, 'production')
  const env = await e.setPolicy(P, 'production', { ...policy, requires_success_in: ['staging'] }, root)
  assert.deepEqual(env.policy.requires_success_in, ['staging'])
}

test('promote: a staging deployment goes to production as a promotion under production policy', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'chatbot', '1.0.0')
  await gated(e)

  const direct = await rejects(e.requestDeployment(P, request('production', [item('prompt_version', 'chatbot', '1.0.0')]), alice), 'VALIDATION_FAILED')
  assert.deepEqual(direct.findings.errors.map((f) => [f.code, f.item]), [['promotion_required', 0]])
  assert.match(direct.findings.errors[0].message, /has not gone live in `staging`/)

  const staged = await e.requestDeployment(P, request('staging', [item('prompt_version', 'chatbot', '1.0.0', { risk: 'medium', change_message: 'tone' })], { description: 'friendlier' }), dave)
  await rejects(e.promote(P, staged.id, 'production', alice), 'INVALID_TRANSITION')
  await e.approve(P, staged.id, lena)
  assert.equal((await e.execute(P, staged.id, dave)).status, 'deployed')

  const promoted = await e.promote(P, staged.id, 'production', alice)
  assertShape('Deployment', promoted)
  assert.equal(promoted.kind, 'promotion')
  assert.equal(promoted.status, 'pending', 'production still wants its two approvals')
  assert.equal(promoted.environment, 'production')
  assert.equal(promoted.promoted_from, staged.id)
  assert.equal(promoted.requested_by, 'alice')
  assert.equal(promoted.description, 'friendlier')
  assert.deepEqual(
    promoted.items.map((i) => [i.entity_type, i.entity_id, i.version_tag, i.risk, i.change_message, i.status, i.previous_version]),
    [['prompt_version', 'chatbot', '1.0.0', 'medium', 'tone', 'pending', null]],
  )
  assert.equal(promoted.lease_expires_at, null)
  await rejects(e.approve(P, promoted.id, alice), 'SELF_APPROVAL')
  await e.approve(P, promoted.id, bob)
  await e.approve(P, promoted.id, carol)
  const live = await e.execute(P, promoted.id, bob)
  assert.equal(live.status, 'deployed')
  assert.equal(live.lease_expires_at, null, 'the lease ends with the execution')
  assert.equal(e.activeVersionSync(P, 'production', 'prompt_version', 'chatbot').deployment_id, promoted.id)

  // The audit trail records who requested the promotion.
  const audit = await e.auditLog(P, promoted.id)
  assert.equal(audit[0].action, 'deployment.requested')
  assert.equal(audit[0].actor_id, 'alice')
})

test('promote: refusals and wrong argument types', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'chatbot', '1.0.0')
  const d = await ready(e, '1.0.0')
  await e.execute(P, d.id, alice)

  await rejects(e.promote(P, d.id, 'production', dave), 'FORBIDDEN')
  const same = await rejects(e.promote(P, d.id, 'development', alice), 'INVALID_INPUT')
  assert.match(same.message, /already in `development`/)
  assert.ok(!(same instanceof TypeError))
  await rejects(e.promote(P, d.id, '', alice), 'INVALID_INPUT')
  await rejects(e.promote(P, d.id, 'nowhere', alice), 'NOT_FOUND')
  await rejects(e.promote(P, '01234567-0000-7000-8000-000000000000', 'staging', alice), 'NOT_FOUND')
  await rejects(e.promote('nope', d.id, 'staging', alice), 'NOT_FOUND')
  await rejects(e.promote(P, d.id, 'staging', { id: 'x', roles: ['admin'], role: 'admin' }), 'INVALID_INPUT')

  for (const [call, message] of [
    [() => e.promote(P, d.id, 5, alice), '`toEnvironment` must be a string, got number'],
    [() => e.promote(P, d.id, 'staging'), '`actor` must be an object, got undefined'],
    [() => e.promote(P, null, 'staging', alice), '`deploymentId` must be a string, got null'],
    [() => e.promote(P, d.id, alice, 'staging'), '`toEnvironment` must be a string, got object'],
  ]) {
    const err = await rejects(call(), 'INVALID_INPUT', TypeError)
    assert.ok(err.message.includes(message), `${err.message} should contain ${message}`)
  }
  // Nothing was created by the refusals.
  assert.deepEqual((await e.listDeployments(P)).items.map((x) => x.id), [d.id])

  // A superseded deployment (it went live, then was replaced) may still be promoted.
  await register(e, 'prompt_version', 'chatbot', '1.1.0')
  await e.execute(P, (await ready(e, '1.1.0')).id, alice)
  assert.equal((await e.getDeployment(P, d.id)).status, 'superseded')
  const promoted = await e.promote(P, d.id, 'staging', dave)
  assert.deepEqual([promoted.kind, promoted.status, promoted.promoted_from, promoted.items[0].version_tag], ['promotion', 'pending', d.id, '1.0.0'])
})

test('policy: lease_ttl_seconds and requires_success_in read back, default, and are checked', async () => {
  const { e } = await engine()
  const dev = await e.getEnvironment(P, 'development')
  assert.equal(dev.policy.lease_ttl_seconds, 3600)
  assert.deepEqual(dev.policy.requires_success_in, [])
  const set = await e.setPolicy(P, 'development', { lease_ttl_seconds: 600, requires_success_in: ['staging'] }, root)
  assertShape('Environment', set)
  assert.equal(set.policy.lease_ttl_seconds, 600)
  let err = await rejects(e.setPolicy(P, 'development', { lease_ttl_seconds: 0 }, root), 'INVALID_INPUT')
  assert.match(err.message, /lease_ttl_seconds must be positive/)
  await rejects(e.setPolicy(P, 'development', { lease_ttl_seconds: 1.5 }, root), 'INVALID_INPUT')
  await rejects(e.setPolicy(P, 'development', { requires_success_in: [''] }, root), 'INVALID_INPUT')
  err = await rejects(e.setPolicy(P, 'development', { requires_success_in: 'staging' }, root), 'INVALID_INPUT')
  assert.ok(!(err instanceof TypeError), 'a member of the wrong type is content the core refuses')
  await rejects(e.setPolicy(P, 'development', { lease_ttl: 60 }, root), 'INVALID_INPUT')
})

test('sweep: an expired lease fails the execution and frees the environment (executor hangs past it)', async () => {
  const { e, clock } = await engine()
  for (const tag of ['1.0.0', '1.1.0', '1.2.0']) await register(e, 'prompt_version', 'chatbot', tag)
  const base = await ready(e, '1.0.0')
  await e.execute(P, base.id, alice)
  const stuck = await ready(e, '1.1.0')
  const next = await ready(e, '1.2.0')

  let swept
  let lease
  // The "host" hangs past its lease; meanwhile the periodic sweep runs.
  const hanging = async () => {
    lease = (await e.getDeployment(P, stuck.id)).lease_expires_at
    assert.deepEqual(await e.sweep(), { leases_expired: [], approvals_expired: [], schedules_expired: [] }, 'not before the lease ends')
    await rejects(e.execute(P, next.id, alice), 'CONFLICT')
    clock.advance(3600)
    swept = await e.sweep()
    // The environment is free again: another deployment may run now.
    const dry = await e.check(P, next.id, alice, 'execute')
    assert.equal(dry.allowed, true, JSON.stringify(dry))
  }
  const late = await rejects(e.execute(P, stuck.id, alice, null, hanging), 'CONFLICT')
  assert.ok(!(late instanceof TypeError))
  assert.equal(lease, '2026-01-15T10:00:00Z', 'the lease is the default hour from the start of the execution')
  assertShape('SweepReport', swept)
  assert.deepEqual(swept, { leases_expired: [stuck.id], approvals_expired: [], schedules_expired: [] })

  const failed = await e.getDeployment(P, stuck.id)
  assert.equal(failed.status, 'failed')
  assert.equal(failed.lease_expires_at, null)
  assert.equal(failed.items[0].status, 'failed')
  assert.match(failed.items[0].error_message, /lease expired/)
  assert.equal(e.activeVersionSync(P, 'development', 'prompt_version', 'chatbot').version_tag, '1.0.0', 'the active state is untouched')
  const last = (await e.auditLog(P, stuck.id, 0, 50)).at(-1)
  assert.deepEqual([last.action, last.actor_id], ['deployment.lease_expired', 'deploygov:sweep'])
  const event = (await e.eventsAfter(P, 0, 1000)).filter((x) => x.object_id === stuck.id).at(-1)
  assert.deepEqual([event.kind, event.actor_id], ['deployment.lease_expired', 'deploygov:sweep'])

  // Nothing left to sweep; the next deployment runs.
  assert.deepEqual(await e.sweep(), { leases_expired: [], approvals_expired: [], schedules_expired: [] })
  assert.equal((await e.execute(P, next.id, alice)).status, 'deployed')
  await e.verifyAudit()
})

test('sweep: a shorter lease from the policy; approvals past their TTL go back to pending', async () => {
  const { e, clock } = await engine()
  await register(e, 'prompt_version', 'chatbot', '1.0.0')
  const { policy } = await e.getEnvironment(P, 'staging')
  await e.setPolicy(P, 'staging', { ...policy, approval_ttl_seconds: 3600, lease_ttl_seconds: 600 }, root)
  const d = await e.requestDeployment(P, request('staging', [item('prompt_version', 'chatbot', '1.0.0')]), dave)
  assert.equal((await e.approve(P, d.id, lena)).status, 'approved')
  assert.deepEqual(await e.sweep(), { leases_expired: [], approvals_expired: [], schedules_expired: [] })
  clock.advance(3600)
  assert.deepEqual(await e.sweep(), { leases_expired: [], approvals_expired: [d.id], schedules_expired: [] })
  assert.equal((await e.getDeployment(P, d.id)).status, 'pending')
  assert.deepEqual(await e.sweep(), { leases_expired: [], approvals_expired: [], schedules_expired: [] }, 'idempotent')
  const audit = await e.auditLog(P, d.id)
  assert.deepEqual([audit.at(-1).action, audit.at(-1).actor_id, audit.at(-1).reason], ['deployment.approvals_expired', 'deploygov:sweep', 'approvals expired'])

  await e.approve(P, d.id, lena)
  const seen = []
  const slow = async () => {
    seen.push((await e.getDeployment(P, d.id)).lease_expires_at)
    clock.advance(599)
    seen.push((await e.sweep()).leases_expired.length)
    clock.advance(1)
    seen.push((await e.sweep()).leases_expired)
  }
  await rejects(e.execute(P, d.id, dave, null, slow), 'CONFLICT')
  assert.deepEqual(seen, ['2026-01-15T10:10:00Z', 0, [d.id]])
  assert.deepEqual(await e.activeState(P, 'staging'), [])
})

test('releaseLease: an admin ends a running execution with a reason; refusals', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'chatbot', '1.0.0')
  const d = await ready(e, '1.0.0')
  let released
  const executor = async () => {
    await rejects(e.releaseLease(P, d.id, dave, 'stuck'), 'FORBIDDEN')
    await rejects(e.releaseLease(P, d.id, lena, 'stuck'), 'FORBIDDEN')
    const blank = await rejects(e.releaseLease(P, d.id, root, '   '), 'INVALID_INPUT')
    assert.ok(!(blank instanceof TypeError))
    released = await e.releaseLease(P, d.id, root, 'host crashed')
  }
  await rejects(e.execute(P, d.id, alice, null, executor), 'CONFLICT')
  assertShape('Deployment', released)
  assert.equal(released.status, 'failed')
  assert.equal(released.lease_expires_at, null)
  assert.equal(released.items[0].error_message, 'host crashed')
  const entry = (await e.auditLog(P, d.id, 0, 50)).at(-1)
  assert.deepEqual([entry.action, entry.actor_id, entry.reason], ['deployment.lease_released', 'root', 'host crashed'])
  assert.deepEqual(await e.activeState(P, 'development'), [])
  assert.deepEqual(await e.getDeployment(P, d.id), released)

  await rejects(e.releaseLease(P, d.id, root, 'again'), 'INVALID_TRANSITION')
  await rejects(e.releaseLease(P, '01234567-0000-7000-8000-000000000000', root, 'x'), 'NOT_FOUND')
  await rejects(e.releaseLease(P, d.id, { id: '', roles: ['admin'] }, 'x'), 'INVALID_INPUT')
  for (const [call, message] of [
    [() => e.releaseLease(P, d.id, root), '`reason` must be a string, got undefined'],
    [() => e.releaseLease(P, d.id, 'root', 'x'), '`actor` must be an object, got string'],
    [() => e.releaseLease(P, 7, root, 'x'), '`deploymentId` must be a string, got number'],
  ]) {
    const err = await rejects(call(), 'INVALID_INPUT', TypeError)
    assert.ok(err.message.includes(message), `${err.message} should contain ${message}`)
  }
  await e.verifyAudit()
})

test('activeStateAt and deploymentsLiveAt: what was live at a past instant, and who put it there', async () => {
  const { e, clock } = await engine()
  await register(e, 'prompt_version', 'chatbot', '1.0.0')
  await register(e, 'prompt_version', 'chatbot', '1.1.0')
  await register(e, 'ai_model', 'gpt', '4.0.0')

  const v1 = await e.requestDeployment(P, request('staging', [item('prompt_version', 'chatbot', '1.0.0')]), dave)
  await e.approve(P, v1.id, lena)
  clock.advance(3600) // 10:00
  await e.execute(P, v1.id, dave)
  clock.advance(86400) // next day 10:00
  const v2 = await e.requestDeployment(P, request('staging', [item('ai_model', 'gpt', '4.0.0')]), dave)
  await e.approve(P, v2.id, alice)
  await e.execute(P, v2.id, lena)
  clock.advance(86400)
  const v3 = await e.requestDeployment(P, request('staging', [item('prompt_version', 'chatbot', '1.1.0')]), dave)
  await e.approve(P, v3.id, lena)
  await e.execute(P, v3.id, dave)

  assert.deepEqual(await e.activeStateAt(P, 'staging', START), [])
  assert.deepEqual(await e.deploymentsLiveAt(P, 'staging', START), [])

  const first = await e.activeStateAt(P, 'staging', '2026-01-15T12:00:00Z')
  first.forEach((x) => assertShape('LiveEntry', x))
  assert.deepEqual(first, [
    {
      entity_type: 'prompt_version',
      entity_id: 'chatbot',
      version_tag: '1.0.0',
      since: '2026-01-15T10:00:00Z',
      deployment_id: v1.id,
      requested_by: 'dave',
      approved_by: ['lena'],
      executed_by: 'dave',
    },
  ])
  // Any offset names the same instant; it is the instant of the execution itself.
  assert.deepEqual(await e.activeStateAt(P, 'staging', '2026-01-15T12:00:00+02:00'), first)
  assert.deepEqual(await e.activeStateAt(P, 'staging', '2026-01-15T10:00:00.000Z'), first)
  assert.deepEqual(await e.activeStateAt(P, 'staging', '2026-01-15T09:59:59.999Z'), [])

  const second = await e.activeStateAt(P, 'staging', '2026-01-16T12:00:00Z')
  assert.deepEqual(second.map((x) => [x.entity_id, x.version_tag, x.deployment_id, x.approved_by, x.executed_by]).sort(), [
    ['chatbot', '1.0.0', v1.id, ['lena'], 'dave'],
    ['gpt', '4.0.0', v2.id, ['alice'], 'lena'],
  ])
  const live = await e.deploymentsLiveAt(P, 'staging', '2026-01-16T12:00:00Z')
  live.forEach((x) => assertShape('Deployment', x))
  assert.deepEqual(live.map((d) => d.id), [v2.id, v1.id], 'newest first')
  assert.deepEqual((await e.deploymentsLiveAt(P, 'staging', '2030-01-01T00:00:00Z')).map((d) => [d.id, d.status]), [
    [v3.id, 'deployed'],
    [v2.id, 'deployed'],
  ])
  assert.deepEqual(await e.activeStateAt(P, 'production', '2030-01-01T00:00:00Z'), [])
})

test('activeStateAt and deploymentsLiveAt: `at` is an ISO-8601 string; refusals', async () => {
  const { e } = await engine()
  for (const f of [e.activeStateAt, e.deploymentsLiveAt].map((m) => m.bind(e))) {
    await rejects(f(P, 'nowhere', START), 'NOT_FOUND')
    await rejects(f('nope', 'staging', START), 'NOT_FOUND')
    for (const at of ['yesterday', '2026-01-15', '2026-01-15T09:00:00', '']) {
      const err = await rejects(f(P, 'staging', at), 'INVALID_INPUT')
      assert.ok(!(err instanceof TypeError), 'a string that is not a time is content the core refuses')
      assert.match(err.message, /`at` must be an ISO-8601 time like `2026-01-15T09:00:00Z`/)
    }
    for (const [at, message] of [
      [new Date(START), '`at` must be an ISO-8601 string (for a Date, pass `date.toISOString()`), got Date'],
      [Date.parse(START), '`at` must be an ISO-8601 string, got number'],
      [undefined, '`at` must be an ISO-8601 string, got undefined'],
      [null, '`at` must be an ISO-8601 string, got null'],
    ]) {
      const err = await rejects(f(P, 'staging', at), 'INVALID_INPUT', TypeError)
      assert.equal(err.message, message)
    }
    await rejects(f(P, 5, START), 'INVALID_INPUT', TypeError)
    // What `date.toISOString()` gives (milliseconds) is accepted.
    assert.deepEqual(await f(P, 'staging', new Date(START).toISOString()), [])
  }
})
