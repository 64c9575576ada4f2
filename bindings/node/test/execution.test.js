'use strict'
// Freeze windows, two-phase execution (begin, log, deploymentLogs, heartbeat, complete), guided
// failure (resume, with executors that succeed, throw or reject) and health checks
// (reportHealth, healthChecks): results against index.d.ts, refusals, and bad input.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { setTimeout: sleep } = require('node:timers/promises')
const { P, admin, lead, developer, root, engine, item, register, request, rejects } = require('./support/fixtures')
const { assertShape } = require('./support/shapes')

const lena = lead('lena')
const dave = developer('dave')

/** Staging (one lead approval) with a, b, c at 1.0.0, and an approved request for all three. */
async function approved(policy = {}) {
  const { e, clock } = await engine()
  if (Object.keys(policy).length) await e.setPolicy(P, 'staging', { ...(await e.getEnvironment(P, 'staging')).policy, ...policy }, root)
  for (const id of ['a', 'b', 'c']) await register(e, 'prompt_version', id, '1.0.0')
  const d = await e.requestDeployment(P, request('staging', ['a', 'b', 'c'].map((id) => item('prompt_version', id, '1.0.0'))), dave)
  await e.approve(P, d.id, lena)
  return { e, clock, d }
}

const live = async (e, env) => Object.fromEntries((await e.activeState(P, env)).map((a) => [a.entity_id, a.version_tag]))

test('freeze windows: add, list, active, refuse approve and execute, override with a reason, remove', async () => {
  const { e, clock, d } = await approved()
  const weekly = await e.addFreeze(
    P,
    { name: 'weekend', schedule: { type: 'weekly', days: ['sat', 'sun'], start_time: '00:00', duration_minutes: 1440, time_zone: 'Europe/Berlin' } },
    root,
  )
  assertShape('FreezeWindow', weekly)
  assert.equal(weekly.environment, null)
  const once = await e.addFreeze(
    P,
    { environment: 'staging', name: 'release-week', schedule: { type: 'one_off', start: '2026-01-15T08:00:00Z', end: '2026-01-16T00:00:00Z' } },
    root,
  )
  assertShape('FreezeWindow', once)
  assert.deepEqual(once.schedule, { type: 'one_off', start: '2026-01-15T08:00:00Z', end: '2026-01-16T00:00:00Z' })
  assert.deepEqual((await e.listFreezes(P)).map((w) => w.name), ['weekend', 'release-week'])
  assert.deepEqual((await e.listFreezes(P, 'staging')).map((w) => w.name), ['weekend', 'release-week'])
  assert.deepEqual((await e.listFreezes(P, 'development')).map((w) => w.name), ['weekend'])
  assert.deepEqual((await e.activeFreezes(P, 'staging', clock.now())).map((w) => w.id), [once.id])
  assert.deepEqual(await e.activeFreezes(P, 'staging', '2026-01-16T12:00:00Z'), [])
  assert.deepEqual((await e.activeFreezes(P, 'staging', '2026-01-17T12:00:00+01:00')).map((w) => w.id), [weekly.id])

  const refused = await rejects(e.execute(P, d.id, lena), 'VALIDATION_FAILED')
  assert.deepEqual(refused.findings.errors.map((f) => f.code), ['environment_frozen'])
  await rejects(e.begin(P, d.id, lena), 'VALIDATION_FAILED')
  await rejects(e.execute(P, d.id, lena, { freeze_override_reason: 'hotfix' }), 'FORBIDDEN')
  const done = await e.execute(P, d.id, root, { freeze_override_reason: 'hotfix for the outage' })
  assert.equal(done.status, 'deployed')
  const audit = await e.auditLog(P, d.id)
  assert.ok(audit.some((a) => a.action === 'deployment.freeze_overridden' && a.reason === 'hotfix for the outage'))

  await rejects(e.removeFreeze(P, once.id, root, '  '), 'INVALID_INPUT')
  await rejects(e.removeFreeze(P, once.id, lena, 'done'), 'FORBIDDEN')
  const removed = await e.removeFreeze(P, once.id, root, 'release shipped')
  assert.equal(removed.id, once.id)
  await rejects(e.removeFreeze(P, once.id, root, 'again'), 'NOT_FOUND')
  assert.deepEqual((await e.listFreezes(P)).map((w) => w.id), [weekly.id])
})

test('freeze windows: bad input', async () => {
  const { e } = await engine()
  const oneOff = (start, end) => ({ name: 'x', schedule: { type: 'one_off', start, end } })
  await rejects(e.addFreeze(P, oneOff('2026-02-02T00:00:00Z', '2026-02-01T00:00:00Z'), root), 'INVALID_INPUT')
  await rejects(e.addFreeze(P, oneOff('tomorrow', '2026-02-01T00:00:00Z'), root), 'INVALID_INPUT')
  const weekly = (extra) => ({ name: 'w', schedule: { type: 'weekly', days: ['mon'], start_time: '10:00', duration_minutes: 60, time_zone: 'UTC', ...extra } })
  await rejects(e.addFreeze(P, weekly({ days: ['funday'] }), root), 'INVALID_INPUT')
  await rejects(e.addFreeze(P, weekly({ time_zone: 'Mars/Olympus' }), root), 'INVALID_INPUT')
  await rejects(e.addFreeze(P, weekly({ start_time: '25:00' }), root), 'INVALID_INPUT')
  await rejects(e.addFreeze(P, { name: 'x', schedule: { type: 'monthly' } }, root), 'INVALID_INPUT')
  await rejects(e.addFreeze(P, { ...weekly({}), typo: 1 }, root), 'INVALID_INPUT')
  await rejects(e.addFreeze(P, { ...weekly({}), environment: 'nowhere' }, root), 'NOT_FOUND')
  await rejects(e.addFreeze('nope', weekly({}), root), 'NOT_FOUND')
  await rejects(e.addFreeze(P, weekly({}), dave), 'FORBIDDEN')
  await rejects(e.addFreeze(P, 'weekend', root), 'INVALID_INPUT', TypeError)
  await rejects(e.addFreeze(P, undefined, root), 'INVALID_INPUT', TypeError)
  await rejects(e.addFreeze(P, weekly({})), 'INVALID_INPUT', TypeError)
  await rejects(e.removeFreeze(P, 7, root, 'x'), 'INVALID_INPUT', TypeError)
  await rejects(e.removeFreeze(P, 'missing', root), 'INVALID_INPUT', TypeError)
  await rejects(e.listFreezes(P, 3), 'INVALID_INPUT', TypeError)
  await rejects(e.listFreezes(P, 'nowhere'), 'NOT_FOUND')
  await rejects(e.activeFreezes(P, 'staging', new Date()), 'INVALID_INPUT', TypeError)
  await rejects(e.activeFreezes(P, 'staging', 'now'), 'INVALID_INPUT')
  await rejects(e.activeFreezes(P, 'staging'), 'INVALID_INPUT', TypeError)
})

test('two-phase execution: begin, log, follow the log, heartbeat, complete with success', async () => {
  const { e, clock, d } = await approved()
  const started = await e.begin(P, d.id, lena, {})
  assertShape('Deployment', started)
  assert.equal(started.status, 'deploying')
  const first = await e.log(P, d.id, 'build', 'compiling')
  assert.equal(typeof first, 'number')
  const second = await e.log(P, d.id, 'upload', 'uploading 3 files')
  assert.ok(second > first)
  const page = await e.deploymentLogs(P, d.id)
  assertShape('LogPage', page)
  assert.deepEqual(page.lines.map((l) => [l.stage, l.line]), [['build', 'compiling'], ['upload', 'uploading 3 files']])
  assert.equal(page.next_cursor, second)
  assert.equal(page.dropped, 0)
  assert.equal(page.open, true)
  const tail = await e.deploymentLogs(P, d.id, first, 10)
  assert.deepEqual(tail.lines.map((l) => l.seq), [second])
  assert.deepEqual((await e.deploymentLogs(P, d.id, second)).lines, [])

  const lease = started.lease_expires_at
  clock.advance(600)
  const beat = await e.heartbeat(P, d.id, lena)
  assert.ok(Date.parse(beat.lease_expires_at) > Date.parse(lease))
  await rejects(e.heartbeat(P, d.id, developer('mallory')), 'FORBIDDEN')
  await rejects(e.complete(P, d.id, developer('mallory'), { outcome: 'success' }), 'FORBIDDEN')

  const done = await e.complete(P, d.id, lena, { outcome: 'success' })
  assert.equal(done.status, 'deployed')
  assert.deepEqual(await live(e, 'staging'), { a: '1.0.0', b: '1.0.0', c: '1.0.0' })
  assert.equal((await e.deploymentLogs(P, d.id)).open, false)
  await rejects(e.log(P, d.id, 'verify', 'too late'), 'INVALID_TRANSITION')
  await rejects(e.heartbeat(P, d.id, lena), 'INVALID_TRANSITION')
  await rejects(e.complete(P, d.id, lena, { outcome: 'success' }), 'INVALID_TRANSITION')
})

test('two-phase execution: complete with failure leaves the active state as it was', async () => {
  const { e, d } = await approved()
  await e.begin(P, d.id, lena)
  await rejects(e.complete(P, d.id, lena, { outcome: 'failure', error: ' ' }), 'INVALID_INPUT')
  await rejects(e.complete(P, d.id, lena, { outcome: 'failure', error: 'x', failed_item: 9 }), 'INVALID_INPUT')
  const failed = await e.complete(P, d.id, lena, { outcome: 'failure', error: 'upload timed out', failed_item: 1 })
  assert.equal(failed.status, 'failed')
  assert.deepEqual(failed.items.map((i) => i.status), ['reverted', 'failed', 'skipped'])
  assert.equal(failed.items[1].error_message, 'upload timed out')
  assert.deepEqual(await live(e, 'staging'), {})
})

test('two-phase execution: bad input', async () => {
  const { e, d } = await approved()
  await rejects(e.begin(P, d.id, lena, 'now'), 'INVALID_INPUT', TypeError)
  await rejects(e.begin(P, d.id, lena, { freeze_override: 'x' }), 'INVALID_INPUT')
  await rejects(e.begin(P, undefined, lena), 'INVALID_INPUT', TypeError)
  await rejects(e.begin(P, 'missing', lena), 'NOT_FOUND')
  await rejects(e.log(P, d.id, 'build', 'not started'), 'INVALID_TRANSITION')
  await e.begin(P, d.id, lena)
  await rejects(e.begin(P, d.id, lena), 'INVALID_TRANSITION')
  await rejects(e.log(P, d.id, 'build'), 'INVALID_INPUT', TypeError)
  await rejects(e.log(P, d.id, 42, 'line'), 'INVALID_INPUT', TypeError)
  await rejects(e.log(P, d.id, '', 'line'), 'INVALID_INPUT')
  await rejects(e.log(P, d.id, 's'.repeat(65), 'line'), 'INVALID_INPUT')
  await rejects(e.log(P, d.id, 'build', 'x'.repeat(64 * 1024 + 1)), 'INVALID_INPUT')
  await rejects(e.log(P, 'missing', 'build', 'line'), 'NOT_FOUND')
  await rejects(e.deploymentLogs(P, d.id, -1), 'INVALID_INPUT')
  await rejects(e.deploymentLogs(P, d.id, '0'), 'INVALID_INPUT', TypeError)
  await rejects(e.deploymentLogs(P, d.id, 0, 2.5), 'INVALID_INPUT', TypeError)
  await rejects(e.deploymentLogs(P, 'missing'), 'NOT_FOUND')
  await rejects(e.heartbeat(P, d.id), 'INVALID_INPUT', TypeError)
  await rejects(e.complete(P, d.id, lena), 'INVALID_INPUT', TypeError)
  await rejects(e.complete(P, d.id, lena, 'success'), 'INVALID_INPUT', TypeError)
  await rejects(e.complete(P, d.id, lena, { outcome: 'maybe' }), 'INVALID_INPUT')
  await rejects(e.complete(P, d.id, lena, { outcome: 'failure' }), 'INVALID_INPUT')
  await rejects(e.complete(P, d.id, lena, { outcome: 'failure', error: 'x', typo: 1 }), 'INVALID_INPUT')
  assert.equal((await e.getDeployment(P, d.id)).status, 'deploying')
})

/** Staging under a `pause` policy: executing a, b, c with b failing pauses at b. */
async function paused() {
  const { e, d } = await approved({ on_failure: 'pause' })
  const p = await e.execute(P, d.id, lena, null, (a) => {
    if (a.entity_id === 'b' && !a.revert) throw new Error('b is down')
  })
  assert.equal(p.status, 'paused')
  assert.deepEqual(p.items.map((i) => i.status), ['deployed', 'failed', 'pending'])
  assert.equal(p.items[1].error_message, 'b is down')
  return { e, d }
}

test('resume: retry with an executor that now succeeds deploys the rest', async () => {
  const { e, d } = await paused()
  const calls = []
  const done = await e.resume(P, d.id, lena, 'retry', null, async (a) => {
    await sleep(1)
    calls.push([a.entity_id, a.revert])
  })
  assert.equal(done.status, 'deployed')
  assert.deepEqual(calls, [['b', false], ['c', false]])
  assert.deepEqual(await live(e, 'staging'), { a: '1.0.0', b: '1.0.0', c: '1.0.0' })
})

const failing = [
  ['throws', () => { throw new Error('still down') }],
  ['rejects', async () => { await sleep(1); throw new Error('still down') }],
]
for (const [name, fail] of failing) {
  test(`resume: retry with an executor that ${name} pauses again with its message`, async () => {
    const { e, d } = await paused()
    const again = await e.resume(P, d.id, lena, 'retry', undefined, (a) => (a.entity_id === 'b' && !a.revert ? fail() : undefined))
    assert.equal(again.status, 'paused')
    assert.deepEqual(again.items.map((i) => i.status), ['deployed', 'failed', 'pending'])
    assert.equal(again.items[1].error_message, 'still down')
    assert.deepEqual(await live(e, 'staging'), {}, 'nothing goes live while paused')
  })
}

test('resume: skip needs a reason; abort reverts what went live', async () => {
  const { e, d } = await paused()
  await rejects(e.resume(P, d.id, lena, 'skip'), 'INVALID_INPUT')
  await rejects(e.resume(P, d.id, { id: 'eve', roles: ['viewer'] }, 'retry'), 'FORBIDDEN')
  const skipped = await e.resume(P, d.id, lena, 'skip', 'b is optional')
  assert.equal(skipped.status, 'deployed')
  assert.deepEqual(skipped.items.map((i) => i.status), ['deployed', 'skipped', 'deployed'])
  await rejects(e.resume(P, d.id, lena, 'retry'), 'INVALID_TRANSITION')

  const other = await paused()
  const reverts = []
  const aborted = await other.e.resume(P, other.d.id, lena, 'abort', 'giving up', (a) => reverts.push([a.entity_id, a.revert]))
  assert.equal(aborted.status, 'failed')
  assert.deepEqual(reverts.map(([id, revert]) => [id, revert]), [['a', true]])
  assert.deepEqual(await live(other.e, 'staging'), {})
})

test('resume: bad input', async () => {
  const { e, d } = await paused()
  await rejects(e.resume(P, d.id, lena, 'later'), 'INVALID_INPUT')
  await rejects(e.resume(P, d.id, lena), 'INVALID_INPUT', TypeError)
  await rejects(e.resume(P, d.id, lena, 1), 'INVALID_INPUT', TypeError)
  await rejects(e.resume(P, d.id, lena, 'skip', 5), 'INVALID_INPUT', TypeError)
  await rejects(e.resume(P, d.id, lena, 'retry', null, 'run'), 'INVALID_INPUT', TypeError)
  await rejects(e.resume(P, d.id, undefined, 'retry'), 'INVALID_INPUT', TypeError)
  await rejects(e.resume(P, 'missing', lena, 'retry'), 'NOT_FOUND')
  assert.equal((await e.getDeployment(P, d.id)).status, 'paused')
})

test('health: passing, degraded, then a breach rolls back through the executor', async () => {
  const { e } = await engine()
  await e.setPolicy(P, 'staging', { ...(await e.getEnvironment(P, 'staging')).policy, health: { max_consecutive_failures: 1 } }, root)
  assert.equal((await e.getEnvironment(P, 'staging')).policy.health.max_error_rate, 0.05)
  for (const tag of ['1.0.0', '2.0.0']) await register(e, 'ai_model', 'ranker', tag)
  const deploy = async (tag) => {
    const d = await e.requestDeployment(P, request('staging', [item('ai_model', 'ranker', tag)]), dave)
    await e.approve(P, d.id, lena)
    return e.execute(P, d.id, lena)
  }
  const v1 = await deploy('1.0.0')
  const monitor = { id: 'monitor' }
  const ok = await e.reportHealth(P, v1.id, { ok: true, error_rate: 0.01, p95_latency_ms: 120 }, monitor)
  assertShape('HealthOutcome', ok)
  assert.equal(ok.health, 'healthy')
  assert.deepEqual(ok.check.breaches, [])
  assert.equal(ok.rollback, null)

  const v2 = await deploy('2.0.0')
  const degraded = await e.reportHealth(P, v2.id, { ok: false }, monitor)
  assert.equal(degraded.health, 'degraded')
  assert.equal(degraded.check.consecutive_failures, 1)
  assert.equal(degraded.check.baseline_p95_ms, 120)
  const seen = []
  const breach = await e.reportHealth(P, v2.id, { ok: false, p95_latency_ms: 500 }, monitor, async (a) => {
    await sleep(1)
    seen.push([a.version_tag, a.revert])
  })
  assertShape('HealthOutcome', breach)
  assert.equal(breach.health, 'down')
  assert.equal(breach.check.breaches.length, 2)
  assert.equal(breach.rollback.kind, 'rollback')
  assert.equal(breach.rollback.status, 'deployed')
  assert.equal(breach.rollback_error, null)
  assert.deepEqual(seen, [['1.0.0', false]])
  assert.deepEqual(await live(e, 'staging'), { ranker: '1.0.0' })
  const checks = await e.healthChecks(P, v2.id)
  checks.forEach((c) => assertShape('HealthCheck', c))
  assert.deepEqual(checks.map((c) => c.consecutive_failures), [1, 2])
  await rejects(e.reportHealth(P, v2.id, { ok: true }, monitor), 'INVALID_TRANSITION')
})

test('health: a rollback executor that throws or rejects fails the rollback, reported in rollback', async () => {
  for (const fail of [() => { throw new Error('cannot restore') }, () => Promise.reject(new Error('cannot restore'))]) {
    const { e } = await engine()
    for (const tag of ['1.0.0', '2.0.0']) await register(e, 'ai_model', 'ranker', tag)
    for (const tag of ['1.0.0', '2.0.0']) await e.execute(P, (await e.requestDeployment(P, request('development', [item('ai_model', 'ranker', tag)]), dave)).id, dave)
    const v2 = (await e.listDeployments(P, { status: 'deployed' })).items[0]
    const out = await e.reportHealth(P, v2.id, { ok: true, error_rate: 0.5 }, admin('monitor'), fail)
    assert.equal(out.health, 'down')
    assert.equal(out.rollback.status, 'failed')
    assert.equal(out.rollback.items[0].error_message, 'cannot restore')
    assert.deepEqual(await live(e, 'development'), { ranker: '2.0.0' })
  }
})

test('health: bad input', async () => {
  const { e } = await engine()
  await register(e, 'ai_model', 'ranker', '1.0.0')
  const d = await e.execute(P, (await e.requestDeployment(P, request('development', [item('ai_model', 'ranker', '1.0.0')]), dave)).id, dave)
  const m = { id: 'monitor' }
  await rejects(e.reportHealth(P, d.id, { ok: true, error_rate: 2 }, m), 'INVALID_INPUT')
  await rejects(e.reportHealth(P, d.id, { ok: true, p95_latency_ms: -1 }, m), 'INVALID_INPUT')
  await rejects(e.reportHealth(P, d.id, { ok: 'yes' }, m), 'INVALID_INPUT')
  await rejects(e.reportHealth(P, d.id, { healthy: true }, m), 'INVALID_INPUT')
  await rejects(e.reportHealth(P, d.id, true, m), 'INVALID_INPUT', TypeError)
  await rejects(e.reportHealth(P, d.id, { ok: true }), 'INVALID_INPUT', TypeError)
  await rejects(e.reportHealth(P, d.id, { ok: true }, m, {}), 'INVALID_INPUT', TypeError)
  await rejects(e.reportHealth(P, 'missing', { ok: true }, m), 'NOT_FOUND')
  await rejects(e.healthChecks(P), 'INVALID_INPUT', TypeError)
  await rejects(e.healthChecks(P, 'missing'), 'NOT_FOUND')
  await rejects(e.setPolicy(P, 'development', { on_failure: 'ignore' }, root), 'INVALID_INPUT')
  await rejects(e.setPolicy(P, 'development', { health: { max_error_rate: 'high' } }, root), 'INVALID_INPUT')
  assert.deepEqual(await e.healthChecks(P, d.id), [])
})
