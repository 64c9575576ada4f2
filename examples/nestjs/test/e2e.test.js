'use strict'
// The real Nest application over a real SQLite file, called over HTTP with fetch: the whole JAPM
// flow (request, a refused self-approval, two approvals, deploy, list with filters, the active
// state, a second release, a rollback to the first), the error mapping, a staging deployment
// promoted to production, a schedule, a freeze window with its override, and guided failure.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Engine } = require('deploygov')
const { createApp } = require('../dist/main.js')

const P = 'my-project'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploygov-nest-'))
const database = path.join(dir, 'japm.db')
const activations = []
let app
let base

const headers = (id, roles) => ({ 'content-type': 'application/json', 'x-actor-id': id, 'x-actor-roles': roles.join(',') })
const alice = headers('alice', ['admin'])
const bob = headers('bob', ['admin'])
const carol = headers('carol', ['tenant_admin'])
const dave = headers('dave', ['developer'])

async function call(method, url, who, body) {
  const res = await fetch(`${base}${url}`, { method, headers: who ?? { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

function item(entityId, versionTag, riskLevel = 'LOW') {
  return { entityType: 'PROMPT_VERSION', entityId, versionTag, changeMessage: `ship ${versionTag}`, riskLevel }
}

before(async () => {
  // Seed the project as its administrators would, through a second engine on the same file.
  const seed = new Engine(database)
  const root = { id: 'root', roles: ['admin'] }
  await seed.createProject(P, 'acme', 'My project', root)
  for (const name of ['development', 'staging', 'production']) await seed.createEnvironment(P, { name }, root)
  for (const tag of ['1.1.0', '2.0.0']) await seed.registerVersion(P, { entity_type: 'prompt_version', entity_id: 'chatbot-main', version_tag: tag }, root)

  app = await createApp({
    database,
    executor: async (a) => {
      activations.push(`${a.entity_id}@${a.version_tag}${a.revert ? ' (revert)' : ''}`)
    },
  })
  await app.listen(0, '127.0.0.1')
  base = `${await app.getUrl()}/api/projects/${P}`
})

after(async () => {
  await app?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

test('the JAPM flow over HTTP, with a refused self-approval', async () => {
  const created = await call('POST', '/deployments', alice, {
    name: 'deploy-chatbot-v1',
    description: 'first release',
    environmentId: 'production',
    items: [item('chatbot-main', '1.1.0', 'MEDIUM')],
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const first = created.body
  assert.equal(first.status, 'pending')
  assert.equal(first.requested_by, 'alice')
  assert.equal(first.items[0].risk, 'medium')

  const self = await call('PUT', `/deployments/${first.id}/approve`, alice)
  assert.equal(self.status, 403)
  assert.equal(self.body.code, 'SELF_APPROVAL')
  assert.match(self.body.message, /4-eyes/)

  const developer = await call('PUT', `/deployments/${first.id}/approve`, dave)
  assert.deepEqual([developer.status, developer.body.code], [403, 'FORBIDDEN'])
  const early = await call('POST', `/deployments/${first.id}/deploy`, bob)
  assert.deepEqual([early.status, early.body.code], [409, 'POLICY_VIOLATION'])

  const once = await call('PUT', `/deployments/${first.id}/approve`, bob, { comment: 'lgtm' })
  assert.deepEqual([once.status, once.body.status], [200, 'pending'])
  const twice = await call('PUT', `/deployments/${first.id}/approve`, carol)
  assert.deepEqual([twice.status, twice.body.status], [200, 'approved'])

  const approved = await call('GET', '/deployments?environmentId=production&status=APPROVED', bob)
  assert.equal(approved.status, 200)
  assert.deepEqual(approved.body.items.map((d) => d.id), [first.id])

  const deployed = await call('POST', `/deployments/${first.id}/deploy`, bob)
  assert.deepEqual([deployed.status, deployed.body.status], [200, 'deployed'])
  assert.deepEqual(activations, ['chatbot-main@1.1.0'])

  const active = await call('GET', '/environments/production/active', bob)
  assert.equal(active.status, 200)
  assert.deepEqual(active.body.map((a) => [a.entity_id, a.version_tag, a.deployment_id]), [['chatbot-main', '1.1.0', first.id]])
  const hot = await call('GET', '/environments/production/active/PROMPT_VERSION/chatbot-main', bob)
  assert.deepEqual([hot.status, hot.body.version_tag], [200, '1.1.0'])

  // A second release, then a rollback to the first.
  const second = (await call('POST', '/deployments', alice, { name: 'deploy-chatbot-v2', environmentId: 'production', items: [item('chatbot-main', '2.0.0')] })).body
  await call('PUT', `/deployments/${second.id}/approve`, bob)
  await call('PUT', `/deployments/${second.id}/approve`, carol)
  assert.equal((await call('POST', `/deployments/${second.id}/deploy`, carol)).body.status, 'deployed')
  assert.equal((await call('GET', `/deployments/${first.id}`, bob)).body.status, 'superseded')

  const noReason = await call('POST', `/deployments/${second.id}/rollback`, alice, { rollbackToDeploymentId: first.id })
  assert.deepEqual([noReason.status, noReason.body.code], [400, 'INVALID_INPUT'])
  const rolled = await call('POST', `/deployments/${second.id}/rollback`, alice, { rollbackToDeploymentId: first.id, reason: 'answers got worse' })
  assert.equal(rolled.status, 201, JSON.stringify(rolled.body))
  assert.equal(rolled.body.kind, 'rollback')
  assert.equal(rolled.body.status, 'deployed')
  assert.equal(rolled.body.rollback_to, first.id)
  assert.deepEqual(activations.slice(-1), ['chatbot-main@1.1.0'])
  const after = await call('GET', `/deployments/${second.id}`, bob)
  assert.equal(after.body.status, 'rolled_back')
  assert.equal(after.body.rolled_back.reason, 'answers got worse')
  assert.equal((await call('GET', '/environments/production/active/PROMPT_VERSION/chatbot-main', bob)).body.version_tag, '1.1.0')

  const history = await call('GET', '/deployments?environmentId=production', bob)
  assert.deepEqual(history.body.items.map((d) => d.kind), ['rollback', 'deploy', 'deploy'])
  const rolledBack = await call('GET', '/deployments?status=ROLLED_BACK', bob)
  assert.deepEqual(rolledBack.body.items.map((d) => d.id), [second.id])

  // The state lives in the SQLite file: another engine on it sees the same.
  const reader = new Engine(database)
  assert.equal(reader.activeVersionSync(P, 'production', 'prompt_version', 'chatbot-main').deployment_id, rolled.body.id)
  await reader.verifyAudit()
})

test('errors map to HTTP statuses with the code and the findings in the body', async () => {
  const invalid = await call('POST', '/deployments', alice, { name: 'bad', environmentId: 'production', items: [item('chatbot-main', '9.9.9'), item('nothing', '1.0.0')] })
  assert.equal(invalid.status, 422)
  assert.equal(invalid.body.code, 'VALIDATION_FAILED')
  assert.deepEqual(invalid.body.findings.errors.map((f) => f.code).sort(), ['unknown_version', 'unknown_version'])

  const missing = await call('GET', '/deployments/01234567-0000-7000-8000-000000000000', bob)
  assert.deepEqual([missing.status, missing.body.code], [404, 'NOT_FOUND'])
  const noEnv = await call('GET', '/environments/nowhere/active', bob)
  assert.deepEqual([noEnv.status, noEnv.body.code], [404, 'NOT_FOUND'])
  const nothingLive = await call('GET', '/environments/staging/active/PROMPT_VERSION/chatbot-main', bob)
  assert.deepEqual([nothingLive.status, nothingLive.body.code], [404, 'NOT_FOUND'])
  const badStatus = await call('GET', '/deployments?status=SHIPPED', bob)
  assert.deepEqual([badStatus.status, badStatus.body.code], [400, 'INVALID_INPUT'])
  const noItems = await call('POST', '/deployments', alice, { name: 'x', environmentId: 'production' })
  assert.deepEqual([noItems.status, noItems.body.code], [400, 'INVALID_INPUT'])
  const badRisk = await call('POST', '/deployments', alice, { name: 'x', environmentId: 'production', items: [item('chatbot-main', '2.0.0', 'EXTREME')] })
  assert.deepEqual([badRisk.status, badRisk.body.code], [400, 'INVALID_INPUT'])
  const anonymous = await call('POST', '/deployments', undefined, { name: 'x', environmentId: 'production', items: [] })
  assert.deepEqual([anonymous.status, anonymous.body.code], [401, 'UNAUTHENTICATED'])
  const notRequester = await call('POST', '/deployments', dave, { name: 'x', environmentId: 'production', items: [item('chatbot-main', '2.0.0')] })
  assert.deepEqual([notRequester.status, notRequester.body.code], [403, 'FORBIDDEN'])

  const d = (await call('POST', '/deployments', alice, { name: 'not-live', environmentId: 'staging', items: [item('chatbot-main', '2.0.0')] })).body
  assert.equal((await call('GET', `/deployments/${d.id}`, bob)).body.status, 'pending')
  const notLive = await call('POST', `/deployments/${d.id}/rollback`, alice, { reason: 'x' })
  assert.deepEqual([notLive.status, notLive.body.code], [409, 'INVALID_TRANSITION'])
})

test('a staging deployment promoted to production over HTTP', async () => {
  const staged = (await call('POST', '/deployments', dave, { name: 'stage-chatbot-v2', environmentId: 'staging', items: [item('chatbot-main', '2.0.0')] })).body
  const early = await call('POST', `/deployments/${staged.id}/promote`, alice, { targetEnvironmentId: 'production' })
  assert.deepEqual([early.status, early.body.code], [409, 'INVALID_TRANSITION'])
  await call('PUT', `/deployments/${staged.id}/approve`, bob)
  assert.equal((await call('POST', `/deployments/${staged.id}/deploy`, dave)).body.status, 'deployed')

  const notRequester = await call('POST', `/deployments/${staged.id}/promote`, dave, { targetEnvironmentId: 'production' })
  assert.deepEqual([notRequester.status, notRequester.body.code], [403, 'FORBIDDEN'])
  const noTarget = await call('POST', `/deployments/${staged.id}/promote`, alice, {})
  assert.deepEqual([noTarget.status, noTarget.body.code], [400, 'INVALID_INPUT'])
  const nowhere = await call('POST', `/deployments/${staged.id}/promote`, alice, { targetEnvironmentId: 'nowhere' })
  assert.deepEqual([nowhere.status, nowhere.body.code], [404, 'NOT_FOUND'])

  const promoted = await call('POST', `/deployments/${staged.id}/promote`, alice, { targetEnvironmentId: 'production' })
  assert.equal(promoted.status, 201, JSON.stringify(promoted.body))
  assert.deepEqual(
    [promoted.body.kind, promoted.body.status, promoted.body.environment, promoted.body.promoted_from, promoted.body.items[0].version_tag],
    ['promotion', 'pending', 'production', staged.id, '2.0.0'],
  )
  await call('PUT', `/deployments/${promoted.body.id}/approve`, bob)
  await call('PUT', `/deployments/${promoted.body.id}/approve`, carol)
  assert.equal((await call('POST', `/deployments/${promoted.body.id}/deploy`, bob)).body.status, 'deployed')
  assert.equal((await call('GET', '/environments/production/active/PROMPT_VERSION/chatbot-main', bob)).body.deployment_id, promoted.body.id)
})

test('a deployment scheduled for later is refused until then; a schedule out of order is a 400', async () => {
  const later = new Date(Date.now() + 86_400_000).toISOString()
  const bad = await call('POST', '/deployments', dave, { name: 'x', environmentId: 'development', items: [item('chatbot-main', '1.1.0')], scheduledFor: later, expiresAt: later })
  assert.deepEqual([bad.status, bad.body.code], [400, 'INVALID_INPUT'])
  const nightly = await call('POST', '/deployments', dave, { name: 'nightly', environmentId: 'development', items: [item('chatbot-main', '1.1.0')], scheduledFor: later })
  assert.equal(nightly.status, 201, JSON.stringify(nightly.body))
  assert.deepEqual([nightly.body.status, nightly.body.scheduled_for, nightly.body.expires_at], ['approved', later.replace('.000Z', 'Z'), null])
  const early = await call('POST', `/deployments/${nightly.body.id}/deploy`, dave)
  assert.deepEqual([early.status, early.body.code, early.body.findings.errors.map((f) => f.code)], [422, 'VALIDATION_FAILED', ['not_yet_due']])
})

test('a freeze window refuses approve and deploy until an admin overrides it with a reason', async () => {
  const now = Date.now()
  const window = { environmentId: 'staging', name: 'release-week', startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() }
  assert.deepEqual((await call('POST', '/freezes', dave, window)).status, 403)
  const bad = await call('POST', '/freezes', alice, { ...window, endsAt: window.startsAt })
  assert.deepEqual([bad.status, bad.body.code], [400, 'INVALID_INPUT'])
  const created = await call('POST', '/freezes', alice, window)
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal(created.body.environment, 'staging')

  const d = (await call('POST', '/deployments', dave, { name: 'frozen', environmentId: 'staging', items: [item('chatbot-main', '1.1.0')] })).body
  const refused = await call('PUT', `/deployments/${d.id}/approve`, bob)
  assert.deepEqual([refused.status, refused.body.findings.errors.map((f) => f.code)], [422, ['environment_frozen']])
  assert.equal((await call('PUT', `/deployments/${d.id}/approve`, bob, { freezeOverrideReason: 'hotfix' })).body.status, 'approved')
  const frozen = await call('POST', `/deployments/${d.id}/deploy`, dave)
  assert.deepEqual([frozen.status, frozen.body.code], [422, 'VALIDATION_FAILED'])
  const done = await call('POST', `/deployments/${d.id}/deploy`, carol, { freezeOverrideReason: 'hotfix for sev1' })
  assert.equal(done.body.status, 'deployed', JSON.stringify(done.body))
})

test('resume answers 409 for a deployment that is not paused and 400 for an unknown decision', async () => {
  const d = (await call('POST', '/deployments', dave, { name: 'not-paused', environmentId: 'development', items: [item('chatbot-main', '2.0.0')] })).body
  const notPaused = await call('POST', `/deployments/${d.id}/resume`, dave, { decision: 'RETRY' })
  assert.deepEqual([notPaused.status, notPaused.body.code], [409, 'INVALID_TRANSITION'])
  const later = await call('POST', `/deployments/${d.id}/resume`, dave, { decision: 'LATER' })
  assert.deepEqual([later.status, later.body.code], [400, 'INVALID_INPUT'])
})
