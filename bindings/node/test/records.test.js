'use strict'
// The governed records beside deployments: unsetVariables and compareVariables, artifacts
// (attach, list, prunable, prune), deployment errors (record, resolve, list) and reports
// (complianceReport, its CSV form, environmentMetrics): results against index.d.ts, refusals,
// and bad input.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { P, admin, lead, developer, root, engine, item, register, request, rejects } = require('./support/fixtures')
const { assertShape } = require('./support/shapes')

const dave = developer('dave')
const ci = { id: 'ci', roles: ['ci'] }

test('variables: compare (secrets never shown) and unset (approvals stop counting)', async () => {
  const { e } = await engine()
  await e.setVariables(P, 'staging', [{ key: 'URL', value: 'a' }, { key: 'KEY', value: 's3cret', secret: true }, { key: 'DEBUG', value: '1' }], root)
  await e.setVariables(P, 'production', [{ key: 'URL', value: 'b' }, { key: 'KEY', value: 's3cret', secret: true }], root)
  const diff = await e.compareVariables(P, 'staging', 'production')
  diff.forEach((d) => assertShape('VariableDiff', d))
  assert.deepEqual(diff, [
    { key: 'DEBUG', left: '1', right: null, secret: false, equal: false },
    { key: 'KEY', left: '***', right: '***', secret: true, equal: true },
    { key: 'URL', left: 'a', right: 'b', secret: false, equal: false },
  ])

  await register(e, 'prompt_version', 'chatbot', '1.0.0')
  const d = await e.requestDeployment(P, request('staging', [item('prompt_version', 'chatbot', '1.0.0')]), dave)
  await e.approve(P, d.id, lead('lena'))
  await rejects(e.unsetVariables(P, 'staging', ['DEBUG'], dave), 'FORBIDDEN')
  await rejects(e.unsetVariables(P, 'staging', ['DEBUG', 'NOPE'], root), 'NOT_FOUND')
  await rejects(e.unsetVariables(P, 'staging', ['DEBUG', 'DEBUG'], root), 'INVALID_INPUT')
  await rejects(e.unsetVariables(P, 'staging', [], root), 'INVALID_INPUT')
  const env = await e.unsetVariables(P, 'staging', ['DEBUG'], root)
  assertShape('Environment', env)
  assert.deepEqual(env.variables.map((v) => [v.key, v.value]), [['URL', 'a'], ['KEY', '***']])
  assert.equal((await e.getDeployment(P, d.id)).status, 'pending')
})

test('variables: bad input', async () => {
  const { e } = await engine()
  await rejects(e.unsetVariables(P, 'staging', 'DEBUG', root), 'INVALID_INPUT', TypeError)
  await rejects(e.unsetVariables(P, 'staging', undefined, root), 'INVALID_INPUT', TypeError)
  await rejects(e.unsetVariables(P, 'staging', [1], root), 'INVALID_INPUT')
  await rejects(e.unsetVariables(P, 'staging', ['A']), 'INVALID_INPUT', TypeError)
  await rejects(e.unsetVariables(P, 'nowhere', ['A'], root), 'NOT_FOUND')
  await rejects(e.compareVariables(P, 'staging'), 'INVALID_INPUT', TypeError)
  await rejects(e.compareVariables(P, 'staging', 'nowhere'), 'NOT_FOUND')
})

test('artifacts: attach (idempotent, conflicts), list, prunable under retention, prune', async () => {
  const { e } = await engine()
  await e.setPolicy(P, 'development', { artifact_retention: 1 }, root)
  assert.equal((await e.getEnvironment(P, 'development')).policy.artifact_retention, 1)
  const art = {}
  for (const tag of ['1.0.0', '2.0.0', '3.0.0']) {
    await register(e, 'app_build', 'web', tag)
    art[tag] = await e.attachArtifact(P, { entity_type: 'app_build', entity_id: 'web', version_tag: tag, name: 'image', uri: `oci://web:${tag}`, size_bytes: 1000 }, ci)
    assertShape('Artifact', art[tag])
  }
  const again = await e.attachArtifact(P, { entity_type: 'app_build', entity_id: 'web', version_tag: '1.0.0', name: 'image', uri: 'oci://web:1.0.0', size_bytes: 1000 }, ci)
  assert.equal(again.id, art['1.0.0'].id)
  await rejects(e.attachArtifact(P, { entity_type: 'app_build', entity_id: 'web', version_tag: '1.0.0', name: 'image', uri: 'oci://other' }, ci), 'CONFLICT')
  await rejects(e.attachArtifact(P, { entity_type: 'app_build', entity_id: 'web', version_tag: '9.9.9', name: 'image', uri: 'oci://x' }, ci), 'NOT_FOUND')
  assert.deepEqual(await e.prunableArtifacts(P), [])

  for (const tag of ['1.0.0', '2.0.0', '3.0.0']) {
    const d = await e.requestDeployment(P, request('development', [item('app_build', 'web', tag)]), dave)
    await e.execute(P, d.id, dave)
  }
  assert.deepEqual((await e.prunableArtifacts(P)).map((a) => a.id), [art['1.0.0'].id])
  await rejects(e.pruneArtifacts(P, [art['1.0.0'].id], dave, 'retention'), 'FORBIDDEN')
  await rejects(e.pruneArtifacts(P, [art['1.0.0'].id, art['2.0.0'].id], root, 'retention'), 'POLICY_VIOLATION')
  await rejects(e.pruneArtifacts(P, [art['1.0.0'].id], root, ' '), 'INVALID_INPUT')
  const pruned = await e.pruneArtifacts(P, [art['1.0.0'].id], root, 'retention')
  assert.deepEqual(pruned.map((a) => a.id), [art['1.0.0'].id])
  await rejects(e.pruneArtifacts(P, [art['1.0.0'].id], root, 'again'), 'NOT_FOUND')
  assert.deepEqual((await e.listArtifacts(P, 'app_build', 'web')).map((a) => a.version_tag), ['2.0.0', '3.0.0'])
  assert.deepEqual((await e.listArtifacts(P, 'app_build', 'web', '3.0.0')).map((a) => a.id), [art['3.0.0'].id])
  assert.deepEqual(await e.listArtifacts(P, 'app_build', 'web', '1.0.0'), [])
})

test('artifacts: bad input', async () => {
  const { e } = await engine()
  await register(e, 'app_build', 'web', '1.0.0')
  const spec = { entity_type: 'app_build', entity_id: 'web', version_tag: '1.0.0', name: 'image', uri: 'oci://x' }
  await rejects(e.attachArtifact(P, 'image', ci), 'INVALID_INPUT', TypeError)
  await rejects(e.attachArtifact(P, spec), 'INVALID_INPUT', TypeError)
  await rejects(e.attachArtifact(P, { ...spec, size: 3 }, ci), 'INVALID_INPUT')
  await rejects(e.attachArtifact(P, { ...spec, size_bytes: -1 }, ci), 'INVALID_INPUT')
  await rejects(e.attachArtifact(P, { ...spec, name: '' }, ci), 'INVALID_INPUT')
  await rejects(e.listArtifacts(P, 'app_build'), 'INVALID_INPUT', TypeError)
  await rejects(e.listArtifacts(P, 'app_build', 'web', 1), 'INVALID_INPUT', TypeError)
  await rejects(e.listArtifacts(P, 'app_build', 'web', '9.9.9'), 'NOT_FOUND')
  await rejects(e.prunableArtifacts(), 'INVALID_INPUT', TypeError)
  await rejects(e.prunableArtifacts('nope'), 'NOT_FOUND')
  await rejects(e.pruneArtifacts(P, 'id', root, 'r'), 'INVALID_INPUT', TypeError)
  await rejects(e.pruneArtifacts(P, [], root, 'r'), 'INVALID_INPUT')
  await rejects(e.pruneArtifacts(P, ['missing'], root), 'INVALID_INPUT', TypeError)
  await rejects(e.setPolicy(P, 'development', { artifact_retention: -1 }, root), 'INVALID_INPUT')
})

/** Production with 1.0.0 deployed (approved by bob and carol), 2.0.0 by break-glass, then rolled back. */
async function history() {
  const { e, clock } = await engine()
  for (const tag of ['1.0.0', '2.0.0']) await register(e, 'prompt_version', 'chatbot', tag)
  const p1 = await e.requestDeployment(P, request('production', [item('prompt_version', 'chatbot', '1.0.0')]), admin('alice'))
  await e.approve(P, p1.id, admin('bob'))
  await e.approve(P, p1.id, admin('carol'))
  clock.advance(120)
  await e.execute(P, p1.id, admin('bob'))
  const p2 = await e.requestDeployment(P, request('production', [item('prompt_version', 'chatbot', '2.0.0')]), admin('alice'))
  clock.advance(60)
  await e.execute(P, p2.id, admin('carol'), { break_glass_reason: 'sev1, customer down' })
  clock.advance(300)
  await e.rollback(P, p2.id, admin('carol'), { reason: 'latency' })
  return { e, clock, p1, p2 }
}

test('deployment errors: record, resolve once, list with filters', async () => {
  const { e, p2 } = await history()
  const spec = { deployment_id: p2.id, category: 'performance', severity: 'critical', code: 'P95_LATENCY', stage: 'verify', message: 'p95 900 ms', user_impact: 'slow' }
  const err1 = await e.recordDeploymentError(P, spec, ci)
  assertShape('DeploymentErrorRecord', err1)
  assert.equal(err1.environment, 'production')
  assert.equal(err1.resolution, null)
  const err2 = await e.recordDeploymentError(P, { ...spec, category: 'network', severity: 'low', code: 'DNS', user_impact: null }, ci)
  await rejects(e.recordDeploymentError(P, { ...spec, deployment_id: 'missing' }, ci), 'NOT_FOUND')
  const resolved = await e.resolveDeploymentError(P, err1.id, { id: 'oncall' }, 'rolled back')
  assertShape('DeploymentErrorRecord', resolved)
  assert.deepEqual(resolved.resolution, { resolved_at: '2026-01-15T09:08:00Z', resolved_by: 'oncall', notes: 'rolled back' })
  await rejects(e.resolveDeploymentError(P, err1.id, { id: 'oncall' }, 'again'), 'CONFLICT')
  await rejects(e.resolveDeploymentError(P, 'missing', { id: 'oncall' }, 'x'), 'NOT_FOUND')
  assert.equal((await e.listDeploymentErrors(P)).length, 2)
  assert.deepEqual((await e.listDeploymentErrors(P, { unresolved_only: true })).map((x) => x.id), [err2.id])
  assert.deepEqual((await e.listDeploymentErrors(P, { severity: 'critical' })).map((x) => x.id), [err1.id])
  assert.deepEqual(await e.listDeploymentErrors(P, { environment: 'development' }), [])
  await rejects(e.listDeploymentErrors(P, { environment: 'nowhere' }), 'NOT_FOUND')
})

test('deployment errors: bad input', async () => {
  const { e, p2 } = await history()
  const spec = { deployment_id: p2.id, category: 'network', severity: 'low', code: 'X', stage: 'deploy', message: 'm' }
  await rejects(e.recordDeploymentError(P, { ...spec, category: 'cosmic_rays' }, ci), 'INVALID_INPUT')
  await rejects(e.recordDeploymentError(P, { ...spec, severity: 'apocalyptic' }, ci), 'INVALID_INPUT')
  await rejects(e.recordDeploymentError(P, { ...spec, message: undefined }, ci), 'INVALID_INPUT')
  await rejects(e.recordDeploymentError(P, [spec], ci), 'INVALID_INPUT', TypeError)
  await rejects(e.recordDeploymentError(P, spec), 'INVALID_INPUT', TypeError)
  await rejects(e.resolveDeploymentError(P, 'id', { id: 'x' }), 'INVALID_INPUT', TypeError)
  await rejects(e.resolveDeploymentError(P, 5, { id: 'x' }, 'n'), 'INVALID_INPUT', TypeError)
  await rejects(e.listDeploymentErrors(P, 'critical'), 'INVALID_INPUT', TypeError)
  await rejects(e.listDeploymentErrors(P, { severity: 'urgent' }), 'INVALID_INPUT')
  await rejects(e.listDeploymentErrors(P, { unresolved: true }), 'INVALID_INPUT')
})

test('reports: compliance report, its CSV from the core, environment metrics', async () => {
  const { e, p1, p2 } = await history()
  const from = '2026-01-15T09:00:00Z'
  const to = '2026-01-15T10:00:00Z'
  const report = await e.complianceReport(P, from, to)
  assertShape('ComplianceReport', report)
  report.entries.forEach((x) => assertShape('ComplianceEntry', x))
  assert.deepEqual(report.environments, ['staging', 'production'], 'the environments with approval rules')
  assert.deepEqual(report.entries.map((x) => [x.deployment_id, x.kind]), [[p1.id, 'deploy'], [p2.id, 'deploy'], [report.entries[2].deployment_id, 'rollback']])
  assert.deepEqual(report.entries[0].approvers, ['bob', 'carol'])
  assert.equal(report.entries[1].break_glass.reason, 'sev1, customer down')
  assert.equal(report.entries[1].rolled_back.reason, 'latency')
  assert.equal((await e.complianceReport(P, from, to, 'development')).entries.length, 0)

  const csv = await e.complianceReportCsv(P, from, to)
  assert.equal(typeof csv, 'string')
  const rows = csv.split('\r\n')
  assert.equal(rows.at(-1), '')
  assert.equal(rows.length, 5)
  assert.ok(rows[0].startsWith('deployment_id,environment,name,kind,status,items,'))
  assert.ok(rows[2].startsWith(`${p2.id},production,`))
  assert.ok(rows[2].includes('"sev1, customer down"'), rows[2])
  assert.ok(rows[1].includes('bob; carol'))
  assert.equal((await e.complianceReportCsv(P, from, to, 'development')).split('\r\n').length, 2)

  const m = await e.environmentMetrics(P, 'production', from, to)
  assertShape('EnvironmentMetrics', m)
  assert.deepEqual([m.deployments_finished, m.succeeded, m.failed, m.rolled_back], [2, 2, 0, 1])
  assert.equal(m.success_rate, 1)
  assert.equal(m.change_failure_rate, 0.5)
  assert.equal(m.mean_time_to_roll_back_seconds, 300)
  const empty = await e.environmentMetrics(P, 'development', from, to)
  assert.equal(empty.success_rate, null)
})

test('reports: bad input', async () => {
  const { e } = await engine()
  const [from, to] = ['2026-01-15T09:00:00Z', '2026-01-15T10:00:00Z']
  await rejects(e.complianceReport(P, to, from), 'INVALID_INPUT')
  await rejects(e.complianceReportCsv(P, to, from), 'INVALID_INPUT')
  await rejects(e.complianceReport(P, new Date(), to), 'INVALID_INPUT', TypeError)
  await rejects(e.complianceReport(P, from), 'INVALID_INPUT', TypeError)
  await rejects(e.complianceReport(P, 'yesterday', to), 'INVALID_INPUT')
  await rejects(e.complianceReport(P, from, to, 3), 'INVALID_INPUT', TypeError)
  await rejects(e.complianceReportCsv(P, from, to, 'nowhere'), 'NOT_FOUND')
  await rejects(e.complianceReport('nope', from, to), 'NOT_FOUND')
  await rejects(e.environmentMetrics(P, 'production', from), 'INVALID_INPUT', TypeError)
  await rejects(e.environmentMetrics(P, 'nowhere', from, to), 'NOT_FOUND')
  await rejects(e.environmentMetrics(P, 'production', to, to), 'INVALID_INPUT')
})
