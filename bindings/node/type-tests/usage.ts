// Typed usage of the package, checked by `tsc --noEmit -p type-tests` (never run): every method
// with the types a TypeScript caller writes, so a drift in index.d.ts breaks the build.
import {
  Engine,
  ManualClock,
  type Activation,
  type ActiveEntry,
  type Actor,
  type Artifact,
  type AuditEntry,
  type Completion,
  type ComplianceReport,
  type DeploygovError,
  type Deployment,
  type DeploymentErrorRecord,
  type DeploymentRequest,
  type DryRun,
  type Environment,
  type EnvironmentMetrics,
  type Event,
  type Executor,
  type Finding,
  type FreezeSpec,
  type FreezeWindow,
  type HealthCheck,
  type HealthOutcome,
  type LiveEntry,
  type LogPage,
  type Page,
  type Policy,
  type PolicyInput,
  type ResumeDecision,
  type Subscriber,
  type SweepReport,
  type ValidationContext,
  type Validator,
  type VariableDiff,
  type Version,
} from 'deploygov'

export async function usage(): Promise<void> {
  const clock = new ManualClock('2026-01-15T09:00:00Z')
  clock.advance(60)
  clock.set('2026-01-15T10:00:00Z')
  const now: string = clock.now()
  const engine = new Engine(':memory:', { clock, callback_timeout_ms: 5000 })
  const opened: Engine = await Engine.open('gov.db')
  const alice: Actor = { id: 'alice', roles: ['admin'] }

  const project = await engine.createProject('shop', 'acme', 'Shop', alice)
  const created: string = project.created_at
  const env: Environment = await engine.createEnvironment(
    'shop',
    { name: 'production', url: null, variables: [{ key: 'API', value: 'x', secret: true }], policy: { four_eyes: true } },
    alice,
  )
  await engine.setPolicy('shop', env.name, { approval_rules: [{ name: 'admins', required_approvals: 2, eligible_roles: ['admin'] }] }, alice)
  await engine.setVariables('shop', 'production', [{ key: 'MODE', value: 'fast' }], alice)
  await engine.setHealth('shop', 'production', 'degraded', alice)
  await engine.registerVersion('shop', { entity_type: 'prompt_version', entity_id: 'greeter', version_tag: '1.0.0', metadata: { a: [1, 'b', null] } }, alice)

  const request: DeploymentRequest = {
    environment: 'production',
    name: 'greeter-1.0',
    items: [{ entity_type: 'prompt_version', entity_id: 'greeter', version_tag: '1.0.0', risk: 'high' }],
  }
  const d: Deployment = await engine.requestDeployment('shop', request, alice)
  await engine.approve('shop', d.id, alice, { comment: 'lgtm' })
  await engine.reject('shop', d.id, alice, 'no')
  await engine.cancel('shop', d.id, alice)
  const executor: Executor = async (a: Activation) => {
    if (a.revert) return
    const tag: string | null = a.version_tag
    void tag
  }
  const done = await engine.execute('shop', d.id, alice, { break_glass_reason: 'outage' }, executor)
  const status: 'deployed' | string = done.status
  await engine.execute('shop', d.id, alice)
  await engine.rollback('shop', d.id, alice, { reason: 'bad', target: null }, () => undefined)
  const promoted: Deployment = await engine.promote('shop', d.id, 'production', alice)
  const from: string | null = promoted.promoted_from
  const lease: string | null = promoted.lease_expires_at
  const released: Deployment = await engine.releaseLease('shop', d.id, alice, 'host crashed')
  const swept: SweepReport = await engine.sweep()
  const expired: string[] = [...swept.leases_expired, ...swept.approvals_expired]
  const policy: Policy = (await engine.getEnvironment('shop', 'production')).policy
  const ttl: number = policy.lease_ttl_seconds
  await engine.setPolicy('shop', 'production', { ...policy, lease_ttl_seconds: 600, requires_success_in: ['staging'] }, alice)
  const then: LiveEntry[] = await engine.activeStateAt('shop', 'production', '2026-03-01T00:00:00Z')
  const who: [string, string[], string | null] | undefined = then[0] && [then[0].requested_by, then[0].approved_by, then[0].executed_by]
  const liveThen: Deployment[] = await engine.deploymentsLiveAt('shop', 'production', new Date().toISOString())
  // @ts-expect-error `at` is an ISO-8601 string; pass `date.toISOString()`
  await engine.activeStateAt('shop', 'production', new Date())
  // @ts-expect-error sweep is store-wide: it takes no project
  await engine.sweep('shop')
  // @ts-expect-error the reason is required
  await engine.releaseLease('shop', d.id, alice)
  const quarantined: Version = await engine.quarantineVersion('shop', 'prompt_version', 'greeter', '1.0.0', alice, 'leaks pii')
  const why: string | null | undefined = quarantined.quarantine?.reason
  const freed: Version = await engine.releaseVersion('shop', 'prompt_version', 'greeter', '1.0.0', alice, 'fixed')
  const isFree: boolean = freed.quarantine === null
  await engine.setPolicy('shop', 'production', { quarantine_on_rollback: true }, alice)
  const onRollback: boolean = policy.quarantine_on_rollback
  const scheduled: Deployment = await engine.requestDeployment(
    'shop',
    { ...request, scheduled_for: '2026-03-01T22:00:00Z', expires_at: new Date(Date.now() + 3_600_000).toISOString() },
    alice,
  )
  const window: [string | null, string | null] = [scheduled.scheduled_for, scheduled.expires_at]
  const dueNow: Deployment[] = await engine.due('shop')
  const cancelled: string[] = swept.schedules_expired
  // @ts-expect-error the reason is required
  await engine.quarantineVersion('shop', 'prompt_version', 'greeter', '1.0.0', alice)
  // @ts-expect-error due takes the project
  await engine.due()
  // @ts-expect-error timestamps are ISO-8601 strings, never Date
  await engine.requestDeployment('shop', { ...request, scheduled_for: new Date() }, alice)
  const dry: DryRun = await engine.check('shop', d.id, alice, 'execute')
  const allowed: boolean = dry.allowed && dry.blockers.every((b) => b.code !== 'self_approval')

  await engine.getProject('shop')
  await engine.listEnvironments('shop')
  await engine.getEnvironment('shop', 'production')
  await engine.listVersions('shop', 'prompt_version', 'greeter')
  await engine.getDeployment('shop', d.id)
  const page: Page<Deployment> = await engine.listDeployments('shop', { status: 'pending', limit: 10 })
  const next: string | null = page.next_cursor
  const live: ActiveEntry[] = await engine.activeState('shop', 'production')
  const one: ActiveEntry | null = await engine.activeVersion('shop', 'production', 'prompt_version', 'greeter')
  const hot: ActiveEntry | null = engine.activeVersionSync('shop', 'production', 'prompt_version', 'greeter')
  await engine.entityHistory('shop', 'prompt_version', 'greeter', 10)
  await engine.compareEnvironments('shop', 'staging', 'production')
  await engine.pendingApprovals('shop', alice)
  const audit: AuditEntry[] = await engine.auditLog('shop', d.id, 0, 100)
  await engine.auditLog('shop')
  const verified: number = (await engine.verifyAudit()).entries

  const validator: Validator = async (ctx: ValidationContext): Promise<Finding[]> =>
    ctx.deployment.items.length > 5 ? [{ code: 'too_big', severity: 'error', message: 'too many items', item: null }] : []
  engine.registerValidator('size', validator)
  engine.registerValidator('sync', () => undefined)
  const existed: boolean = engine.unregisterValidator('size')

  const events: Event[] = await engine.eventsAfter('shop', 0, 100)
  const cursor: number = events.at(-1)?.seq ?? 0
  await engine.eventsAfter(null, cursor)
  await engine.eventsAfter()
  engine.setEventSigningKey(Buffer.from('s3cret'))
  engine.setEventSigningKey(new TextEncoder().encode('s3cret'))
  engine.setEventSigningKey(null)
  const publish: Subscriber = async (event: Event) => {
    const kind: string = event.kind
    const signature: string | null = event.signature
    const before = event.payload.before
    void [kind, signature, before]
  }
  engine.subscribe('publisher', publish)
  engine.subscribe('log', (event) => console.log(event.seq, event.object_id))
  const subscribed: boolean = engine.unsubscribe('log')
  // @ts-expect-error a key is bytes, not a string
  engine.setEventSigningKey('s3cret')
  // @ts-expect-error `undefined` does not clear the key; `null` does
  engine.setEventSigningKey(undefined)

  await usageOfTheNewOperations(engine, d, alice, executor)

  try {
    await engine.approve('shop', d.id, alice)
  } catch (e) {
    const err = e as DeploygovError
    if (err.code === 'VALIDATION_FAILED') {
      const codes: string[] = err.findings?.errors.map((f) => f.code) ?? []
      void codes
    }
  }
  void [from, lease, released, expired, ttl, who, liveThen]
  void [why, isFree, onRollback, window, dueNow, cancelled]
  void [now, opened, created, status, allowed, next, live, one, hot, audit, verified, existed, subscribed]
}

/** Freeze windows, two-phase execution, guided failure, health checks and the governed records. */
async function usageOfTheNewOperations(engine: Engine, d: Deployment, alice: Actor, executor: Executor): Promise<void> {
  const spec: FreezeSpec = {
    environment: 'production',
    name: 'weekend',
    schedule: { type: 'weekly', days: ['sat', 'sun'], start_time: '00:00', duration_minutes: 2880, time_zone: 'Europe/Berlin' },
  }
  const w: FreezeWindow = await engine.addFreeze('shop', spec, alice)
  await engine.addFreeze('shop', { name: 'q4', schedule: { type: 'one_off', start: '2026-12-20T00:00:00Z', end: '2027-01-04T00:00:00Z' } }, alice)
  const windows: FreezeWindow[] = [...(await engine.listFreezes('shop')), ...(await engine.listFreezes('shop', 'production'))]
  const frozen: boolean = (await engine.activeFreezes('shop', 'production', new Date().toISOString())).length > 0
  await engine.removeFreeze('shop', w.id, alice, 'not needed')
  await engine.approve('shop', d.id, alice, { freeze_override_reason: 'hotfix' })
  await engine.execute('shop', d.id, alice, { freeze_override_reason: 'hotfix' })
  // @ts-expect-error a weekly window needs its days, start time, duration and zone
  await engine.addFreeze('shop', { name: 'x', schedule: { type: 'weekly' } }, alice)
  // @ts-expect-error days are three-letter names
  await engine.addFreeze('shop', { name: 'x', schedule: { type: 'weekly', days: ['monday'], start_time: '1', duration_minutes: 1, time_zone: 'UTC' } }, alice)
  // @ts-expect-error removing a window needs a reason
  await engine.removeFreeze('shop', w.id, alice)

  const started: Deployment = await engine.begin('shop', d.id, alice, { break_glass_reason: null })
  await engine.begin('shop', d.id, alice)
  const seq: number = await engine.log('shop', started.id, 'build', 'compiling')
  const page: LogPage = await engine.deploymentLogs('shop', d.id, seq, 100)
  const lines: [number, string, string][] = page.lines.map((l) => [l.seq, l.stage, l.line])
  const more: boolean = page.open && page.next_cursor >= 0 && page.dropped >= 0
  await engine.deploymentLogs('shop', d.id)
  await engine.heartbeat('shop', d.id, alice)
  const ok: Completion = { outcome: 'success' }
  await engine.complete('shop', d.id, alice, ok)
  await engine.complete('shop', d.id, alice, { outcome: 'failure', error: 'upload failed', failed_item: 1 })
  // @ts-expect-error a failure needs its error
  await engine.complete('shop', d.id, alice, { outcome: 'failure' })
  // @ts-expect-error log lines are strings
  await engine.log('shop', d.id, 'build', 42)

  const decision: ResumeDecision = 'retry'
  const resumed: Deployment = await engine.resume('shop', d.id, alice, decision, null, executor)
  await engine.resume('shop', d.id, alice, 'skip', 'optional item')
  await engine.resume('shop', d.id, alice, 'abort', 'giving up', async () => undefined)
  const paused: boolean = resumed.status === 'paused'
  // @ts-expect-error the decision is retry, skip or abort
  await engine.resume('shop', d.id, alice, 'later')

  const outcome: HealthOutcome = await engine.reportHealth('shop', d.id, { ok: false, error_rate: 0.2, p95_latency_ms: 900 }, alice, executor)
  await engine.reportHealth('shop', d.id, { ok: true }, { id: 'monitor' })
  const rolledBack: Deployment | null = outcome.rollback
  const breaches: string[] = outcome.check.breaches
  const checks: HealthCheck[] = await engine.healthChecks('shop', d.id)
  const policy: PolicyInput = { on_failure: 'pause', health: { max_error_rate: 0.1 }, freeze_override_roles: ['sre'], artifact_retention: 5 }
  await engine.setPolicy('shop', 'production', policy, alice)
  const read: Policy = (await engine.getEnvironment('shop', 'production')).policy
  const thresholds: [number, number, number, boolean] = [
    read.health.max_consecutive_failures,
    read.health.max_error_rate,
    read.health.max_latency_ratio,
    read.health.auto_rollback,
  ]
  // @ts-expect-error the report says whether the check passed
  await engine.reportHealth('shop', d.id, { error_rate: 0.1 }, alice)
  // @ts-expect-error on_failure is revert or pause
  await engine.setPolicy('shop', 'production', { on_failure: 'ignore' }, alice)

  const env: Environment = await engine.unsetVariables('shop', 'production', ['DEBUG'], alice)
  const diff: VariableDiff[] = await engine.compareVariables('shop', 'staging', 'production')
  const artifact: Artifact = await engine.attachArtifact(
    'shop',
    { entity_type: 'app_build', entity_id: 'web', version_tag: '1.0.0', name: 'image', uri: 'oci://web:1.0.0', size_bytes: 10 },
    alice,
  )
  const artifacts: Artifact[] = [
    ...(await engine.listArtifacts('shop', 'app_build', 'web')),
    ...(await engine.listArtifacts('shop', 'app_build', 'web', '1.0.0')),
    ...(await engine.prunableArtifacts('shop')),
  ]
  await engine.pruneArtifacts('shop', [artifact.id], alice, 'retention')
  const recorded: DeploymentErrorRecord = await engine.recordDeploymentError(
    'shop',
    { deployment_id: d.id, category: 'network', severity: 'high', code: 'DNS', stage: 'deploy', message: 'timeout' },
    alice,
  )
  await engine.resolveDeploymentError('shop', recorded.id, alice, 'fixed')
  const open: DeploymentErrorRecord[] = await engine.listDeploymentErrors('shop', { severity: 'critical', unresolved_only: true })
  await engine.listDeploymentErrors('shop')
  const report: ComplianceReport = await engine.complianceReport('shop', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')
  const csv: string = await engine.complianceReportCsv('shop', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', 'production')
  const metrics: EnvironmentMetrics = await engine.environmentMetrics('shop', 'production', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')
  const rate: number | null = metrics.change_failure_rate
  // @ts-expect-error an unknown error category
  await engine.recordDeploymentError('shop', { deployment_id: d.id, category: 'cosmic', severity: 'high', code: 'X', stage: 's', message: 'm' }, alice)
  // @ts-expect-error report ranges are ISO-8601 strings
  await engine.complianceReport('shop', new Date(), new Date())
  void [windows, frozen, lines, more, paused, rolledBack, breaches, checks, thresholds, env, diff, artifacts, open, report, csv, rate]
}
