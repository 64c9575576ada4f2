'use strict'
// Every method of the Engine, on its happy path, with each result checked against the type
// index.d.ts declares for it.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Engine, ManualClock } = require('deploygov')
const { P, admin, lead, root, engine, item, register, request, rejects } = require('./support/fixtures')
const { assertShape } = require('./support/shapes')

const [alice, bob, carol] = [admin('alice'), admin('bob'), admin('carol')]

test('administration: projects, environments, policies, variables, health, catalog', async () => {
  const { e } = await engine()
  const project = await e.getProject(P)
  assertShape('Project', project)
  assert.deepEqual(project, { id: P, tenant: 'acme', name: 'JAPM', created_at: '2026-01-15T09:00:00Z' })

  const qa = await e.createEnvironment(P, { name: 'qa', url: 'https://qa', variables: [{ key: 'TOKEN', value: 's3cret', secret: true }] }, root)
  assertShape('Environment', qa)
  assert.equal(qa.position, 3)
  assert.deepEqual(qa.variables, [{ key: 'TOKEN', value: '***', secret: true }])
  assert.equal(qa.policy.approval_rules[0].name, 'lead', 'any other name gets the staging policy')

  const envs = await e.listEnvironments(P)
  assert.deepEqual(envs.map((x) => x.name), ['development', 'staging', 'production', 'qa'])
  envs.forEach((x) => assertShape('Environment', x))
  assertShape('Environment', await e.getEnvironment(P, 'production'))

  const relaxed = await e.setPolicy(P, 'qa', { approval_rules: [], four_eyes: false }, root)
  assert.deepEqual(relaxed.policy.approval_rules, [])
  assert.equal(relaxed.policy.four_eyes, false)
  assert.equal(relaxed.revision, 2)
  const vars = await e.setVariables(P, 'qa', [{ key: 'MODE', value: 'fast' }], root)
  assert.deepEqual(vars.variables, [{ key: 'MODE', value: 'fast', secret: false }])
  const health = await e.setHealth(P, 'qa', 'degraded', root)
  assert.equal(health.health, 'degraded')

  const v = await register(e, 'prompt_version', 'greeter', '1.0.0', {
    uri: 's3://prompts/greeter/1.0.0',
    digest: 'sha256:abc',
    metadata: { locale: ['en', 'de'], big: 10_000_000_000, nested: { ok: true, none: null } },
    dependencies: [{ entity_type: 'ai_model', entity_id: 'gpt', requirement: '^4' }],
  })
  assertShape('Version', v)
  assert.deepEqual(v.metadata, { locale: ['en', 'de'], big: 10_000_000_000, nested: { ok: true, none: null } })
  assert.equal(v.registered_by, 'ci')
  await register(e, 'prompt_version', 'greeter', '1.1.0')
  const versions = await e.listVersions(P, 'prompt_version', 'greeter')
  assert.equal(versions.length, 2)
  versions.forEach((x) => assertShape('Version', x))
})

test('the JAPM flow: request, 4-eyes, approvals, execute, queries, rollback, audit', async () => {
  const { e, clock } = await engine()
  await register(e, 'prompt_version', 'chatbot', '1.0.0')
  await register(e, 'prompt_version', 'chatbot', '1.1.0')

  const first = await e.requestDeployment(P, request('production', [item('prompt_version', 'chatbot', '1.0.0')]), alice)
  assertShape('Deployment', first)
  assert.equal(first.status, 'pending')
  await rejects(e.approve(P, first.id, alice), 'SELF_APPROVAL')
  const pending = await e.pendingApprovals(P, bob)
  assert.deepEqual(pending.map((d) => d.id), [first.id])
  assert.deepEqual(await e.pendingApprovals(P, alice), [])
  await e.approve(P, first.id, bob, { comment: 'lgtm' })

  const dry = await e.check(P, first.id, bob, 'execute')
  assertShape('DryRun', dry)
  assert.equal(dry.allowed, false)
  assert.equal(dry.blockers[0].code, 'policy_violation')
  assert.deepEqual(dry.approvals.rules[0].approvers, ['bob'])

  const approved = await e.approve(P, first.id, carol)
  assert.equal(approved.status, 'approved')
  const done = await e.execute(P, first.id, bob)
  assertShape('Deployment', done)
  assert.equal(done.status, 'deployed')
  assert.equal(done.items[0].status, 'deployed')

  const live = await e.activeVersion(P, 'production', 'prompt_version', 'chatbot')
  assertShape('ActiveEntry', live)
  assert.equal(live.version_tag, '1.0.0')
  assert.deepEqual(e.activeVersionSync(P, 'production', 'prompt_version', 'chatbot'), live)
  assert.equal(await e.activeVersion(P, 'staging', 'prompt_version', 'chatbot'), null)
  assert.equal(e.activeVersionSync(P, 'staging', 'prompt_version', 'chatbot'), null)
  assert.equal(await e.activeVersionTag(P, 'production', 'prompt_version', 'chatbot'), '1.0.0')
  assert.equal(e.activeVersionTagSync(P, 'production', 'prompt_version', 'chatbot'), '1.0.0')
  assert.equal(await e.activeVersionTag(P, 'staging', 'prompt_version', 'chatbot'), null)
  assert.equal(e.activeVersionTagSync(P, 'staging', 'prompt_version', 'chatbot'), null)
  assert.equal(e.activeVersionTagSync(P, 'production', 'prompt_version', 'x'.repeat(300)), null)
  assert.equal(e.activeVersionTagSync(P, 'production', 'prompt_version', 'é'.repeat(100)), null)
  const state = await e.activeState(P, 'production')
  assert.deepEqual(state, [live])

  clock.advance(3600)
  const second = await e.requestDeployment(P, request('production', [item('prompt_version', 'chatbot', '1.1.0', { risk: 'medium' })]), alice)
  assert.equal(second.requested_at, '2026-01-15T10:00:00Z')
  assert.equal(second.risk, 'medium')
  await e.approve(P, second.id, bob)
  await e.approve(P, second.id, carol)
  const upgraded = await e.execute(P, second.id, carol)
  assert.equal(upgraded.items[0].previous_version, '1.0.0')
  assert.equal((await e.getDeployment(P, first.id)).status, 'superseded')

  const history = await e.entityHistory(P, 'prompt_version', 'chatbot', 10)
  history.forEach((h) => assertShape('HistoryEntry', h))
  assert.deepEqual(history.map((h) => h.version_tag), ['1.1.0', '1.0.0'])
  const diff = await e.compareEnvironments(P, 'staging', 'production')
  diff.forEach((d) => assertShape('EnvironmentDiff', d))
  assert.deepEqual(diff, [{ entity_type: 'prompt_version', entity_id: 'chatbot', left: null, right: '1.1.0' }])

  const rb = await e.rollback(P, second.id, alice, { reason: 'bad answers', target: first.id })
  assertShape('Deployment', rb)
  assert.equal(rb.kind, 'rollback')
  assert.equal(rb.status, 'deployed')
  assert.equal(rb.rollback_to, first.id)
  assert.equal(e.activeVersionSync(P, 'production', 'prompt_version', 'chatbot').version_tag, '1.0.0')
  assert.equal((await e.getDeployment(P, second.id)).status, 'rolled_back')

  const page = await e.listDeployments(P, { environment: 'production', limit: 2 })
  assertShape('Page', page)
  page.items.forEach((d) => assertShape('Deployment', d))
  assert.equal(page.items.length, 2)
  assert.equal(typeof page.next_cursor, 'string')
  const rest = await e.listDeployments(P, { environment: 'production', cursor: page.next_cursor })
  assert.equal(rest.items.length, 1)
  assert.equal(rest.next_cursor, null)
  const rolledBack = await e.listDeployments(P, { status: 'rolled_back' })
  assert.deepEqual(rolledBack.items.map((d) => d.id), [second.id])
  assert.equal((await e.listDeployments(P)).items.length, 3)

  const audit = await e.auditLog(P, second.id, 0, 100)
  audit.forEach((a) => assertShape('AuditEntry', a))
  assert.deepEqual(audit.map((a) => a.action).slice(0, 2), ['deployment.requested', 'deployment.approval_granted'])
  const after = await e.auditLog(P, null, audit[0].seq, 2)
  assert.equal(after.length, 2)
  assert.ok(after[0].seq > audit[0].seq)
  assert.ok((await e.auditLog(P)).length > 0)
  const verified = await e.verifyAudit()
  assertShape('AuditVerification', verified)
  assert.ok(verified.entries > 10)
})

test('reject, cancel and break-glass', async () => {
  const { e } = await engine()
  await register(e, 'ai_model', 'gpt', '4.0.0')
  const a = await e.requestDeployment(P, request('staging', [item('ai_model', 'gpt', '4.0.0')]), lead('lea'))
  const rejected = await e.reject(P, a.id, lead('leo'), 'not now')
  assert.equal(rejected.status, 'rejected')
  assert.deepEqual([rejected.rejection.actor_id, rejected.rejection.reason], ['leo', 'not now'])

  const b = await e.requestDeployment(P, request('staging', [item('ai_model', 'gpt', '4.0.0')]), lead('lea'))
  const cancelled = await e.cancel(P, b.id, lead('lea'))
  assert.equal(cancelled.status, 'cancelled')
  assert.equal(cancelled.cancellation.reason, null)
  const c = await e.requestDeployment(P, request('staging', [item('ai_model', 'gpt', '4.0.0')]), lead('lea'))
  assert.equal((await e.cancel(P, c.id, lead('lea'), 'changed my mind')).cancellation.reason, 'changed my mind')

  const d = await e.requestDeployment(P, request('production', [item('ai_model', 'gpt', '4.0.0')]), alice)
  const forced = await e.execute(P, d.id, bob, { break_glass_reason: 'outage' })
  assert.equal(forced.status, 'deployed')
  assert.equal(forced.break_glass.reason, 'outage')
})

test('a file database: Engine.open, a second engine on the same file, the synchronous read', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploygov-node-'))
  try {
    const file = path.join(dir, 'gov.db')
    const e = await Engine.open(file)
    assert.ok(e instanceof Engine)
    await e.createProject(P, 'acme', 'JAPM', root)
    await e.createEnvironment(P, { name: 'development' }, root)
    await register(e, 'app_build', 'web', '2.0.0')
    const d = await e.requestDeployment(P, request('development', [item('app_build', 'web', '2.0.0')]), alice)
    assert.equal(d.status, 'approved', 'development needs no approval')
    await e.execute(P, d.id, alice)
    const other = new Engine(file, { clock: new ManualClock('2030-01-01T00:00:00Z') })
    assert.equal(other.activeVersionSync(P, 'development', 'app_build', 'web').version_tag, '2.0.0')
    assert.equal((await other.getDeployment(P, d.id)).status, 'deployed')
    assert.equal(e.activeVersionSync(P, 'development', 'app_build', 'web').deployment_id, d.id)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the manual clock', () => {
  const c = new ManualClock('2026-01-15T09:00:00+02:00')
  assert.equal(c.now(), '2026-01-15T07:00:00Z')
  c.advance(90.5)
  assert.equal(c.now(), '2026-01-15T07:01:30.500Z')
  c.advance(-0.5)
  c.set('2027-02-01T00:00:00Z')
  assert.equal(c.now(), '2027-02-01T00:00:00Z')
})

test('activeVersionTagSync reads long and multi-byte keys in full', async () => {
  const { e } = await engine()
  // napi writes whole UTF-8 characters only: a key whose last character would not fit the stack
  // buffer comes back shorter (here: another entity's id) and must be read again in full.
  await register(e, 'prompt_version', 'x'.repeat(126), '9.9.9')
  const edge = await e.requestDeployment(P, request('development', [item('prompt_version', 'x'.repeat(126), '9.9.9')]), alice)
  await e.execute(P, edge.id, alice)
  assert.equal(e.activeVersionTagSync(P, 'development', 'prompt_version', 'x'.repeat(126)), '9.9.9')
  for (const id of ['x'.repeat(126) + 'é', 'x'.repeat(125) + '€', 'x'.repeat(124) + '😀', 'x'.repeat(123) + 'é', 'é'.repeat(100)]) {
    assert.equal(e.activeVersionTagSync(P, 'development', 'prompt_version', id), null, `${id.length} UTF-16 units`)
  }
})
