'use strict'
// Executors and validators as JavaScript functions (sync or async): a throw or a rejection
// becomes an item failure or an error finding, never a crash or a hang; the event loop stays
// free while the core works; many concurrent promises on one engine.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { setTimeout: sleep } = require('node:timers/promises')
const { P, admin, engine, item, register, request, rejects } = require('./support/fixtures')
const { assertShape } = require('./support/shapes')

const dave = { id: 'dave', roles: ['developer'] }

/** Development (no approval) with three entities at 1.0.0 live, and a request for 1.1.0 of each. */
async function upgrade(options) {
  const { e } = await engine(options)
  const entities = [['prompt_version', 'chatbot'], ['prompt_asset_version', 'templates'], ['ai_model', 'gpt']]
  for (const [t, id] of entities) {
    await register(e, t, id, '1.0.0')
    await register(e, t, id, '1.1.0')
  }
  const base = await e.requestDeployment(P, request('development', entities.map(([t, id]) => item(t, id, '1.0.0'))), dave)
  await e.execute(P, base.id, dave)
  const up = await e.requestDeployment(P, request('development', entities.map(([t, id]) => item(t, id, '1.1.0'))), dave)
  return { e, up }
}

const failures = [
  ['a synchronous throw', () => { throw new Error('disk full') }, 'disk full'],
  ['an async throw', async () => { await sleep(1); throw new Error('network down') }, 'network down'],
  ['a rejected promise', () => Promise.reject(new TypeError('bad config')), 'bad config'],
  ['a thrown string', () => { throw 'plain string' }, 'plain string'],
  ['a rejection with a number', () => Promise.reject(42), '42'],
  ['a rejection with nothing', () => Promise.reject(), 'the promise was rejected with undefined'],
  ['a thrown non-error object', () => { throw { reason: 'x' } }, 'the callback threw a value that is not an Error'],
]

for (const [name, fail, message] of failures) {
  test(`executor: ${name} on item 2 fails it, reverts item 1, skips item 3`, async () => {
    const { e, up } = await upgrade()
    const calls = []
    const executor = (a) => {
      calls.push([a.entity_id, a.version_tag, a.revert])
      if (a.entity_id === 'templates' && !a.revert) return fail()
      return undefined
    }
    const d = await e.execute(P, up.id, dave, null, executor)
    assert.equal(d.status, 'failed')
    assert.deepEqual(d.items.map((i) => i.status), ['reverted', 'failed', 'skipped'])
    assert.equal(d.items[1].error_message, message)
    assert.deepEqual(calls, [['chatbot', '1.1.0', false], ['templates', '1.1.0', false], ['chatbot', '1.0.0', true]])
    assert.equal(e.activeVersionSync(P, 'development', 'prompt_version', 'chatbot').version_tag, '1.0.0')
  })
}

test('executor: sync and async successes; the activation it sees', async () => {
  const { e, up } = await upgrade()
  const seen = []
  const d = await e.execute(P, up.id, dave, {}, async (a) => {
    assertShape('Activation', a)
    seen.push(a)
    await sleep(2)
    return 'ignored'
  })
  assert.equal(d.status, 'deployed')
  assert.deepEqual(seen.map((a) => [a.entity_type, a.version_tag, a.previous_version, a.revert]), [
    ['prompt_version', '1.1.0', '1.0.0', false],
    ['prompt_asset_version', '1.1.0', '1.0.0', false],
    ['ai_model', '1.1.0', '1.0.0', false],
  ])
  assert.equal(seen[0].deployment_id, up.id)
  assert.equal(seen[0].environment.name, 'development')
  const rb = await e.rollback(P, up.id, dave, { reason: 'undo' }, (a) => assert.equal(a.version_tag, '1.0.0'))
  assert.equal(rb.status, 'deployed')
})

test('executor: secret variables reach the executor and nobody else', async () => {
  const { e } = await engine()
  await e.setVariables(P, 'development', [{ key: 'API_KEY', value: 'hunter2', secret: true }], admin('root'))
  await register(e, 'ai_model', 'gpt', '4.0.0')
  const d = await e.requestDeployment(P, request('development', [item('ai_model', 'gpt', '4.0.0')]), dave)
  let seen
  const done = await e.execute(P, d.id, dave, null, (a) => { seen = a.environment.variables })
  assert.deepEqual(seen, [{ key: 'API_KEY', value: 'hunter2', secret: true }])
  assert.deepEqual(done.config_snapshot, [{ key: 'API_KEY', value: '***', secret: true }])
})

test('executor: a promise that never settles times out as a failed item instead of hanging', async () => {
  const { e, up } = await upgrade({ callback_timeout_ms: 200 })
  const d = await e.execute(P, up.id, dave, null, (a) => (a.entity_id === 'chatbot' && !a.revert ? new Promise(() => {}) : undefined))
  assert.equal(d.status, 'failed')
  assert.equal(d.items[0].error_message, 'the executor did not settle within 200 ms')
})

test('the event loop stays free while the core waits for an async executor', async () => {
  const { e, up } = await upgrade()
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  try {
    const other = []
    const d = await e.execute(P, up.id, dave, null, async () => {
      // The engine is usable from inside an executor: execution runs outside store transactions.
      other.push(await e.getDeployment(P, up.id))
      await sleep(30)
    })
    assert.equal(d.status, 'deployed')
    assert.equal(other[0].status, 'deploying')
    assert.ok(ticks >= 6, `the timer ran ${ticks} times`)
  } finally {
    clearInterval(timer)
  }
})

test('validators: sync and async findings, warnings kept, errors refuse', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'p', '1.0.0')
  const contexts = []
  e.registerValidator('translations', (ctx) => {
    contexts.push(ctx)
    return [{ code: 'missing_translation', severity: 'warning', message: 'no `de` yet', item: 0 }]
  })
  e.registerValidator('compliance', async (ctx) => {
    await sleep(1)
    return ctx.deployment.name === 'forbidden' ? [{ code: 'not_compliant', severity: 'error', message: 'no' }] : null
  })
  const d = await e.requestDeployment(P, request('development', [item('prompt_version', 'p', '1.0.0')]), dave)
  assert.deepEqual(d.warnings.map((w) => w.code), ['missing_translation'])
  assertShape('ValidationContext', contexts[0])
  assert.equal(contexts[0].phase, 'request')
  const err = await rejects(e.requestDeployment(P, request('development', [item('prompt_version', 'p', '1.0.0')], { name: 'forbidden' }), dave), 'VALIDATION_FAILED')
  assert.deepEqual(err.findings.errors.map((f) => f.code), ['not_compliant'])
  await e.execute(P, d.id, dave)
  assert.equal(contexts.at(-1).phase, 'execute')
  assert.equal(e.unregisterValidator('compliance'), true)
  assert.equal(e.unregisterValidator('compliance'), false)
})

const validatorFailures = [
  ['a synchronous throw', () => { throw new Error('scanner offline') }, 'validator `v` failed: scanner offline'],
  ['a rejected promise', async () => { throw new RangeError('quota') }, 'validator `v` failed: quota'],
  ['a wrong return value', () => 'all good', 'validator `v` failed: it returned something that is not a list of findings'],
  ['a finding without a severity', () => [{ code: 'x', message: 'y' }], 'validator `v` failed: it returned something that is not a list of findings'],
  ['a returned function', () => () => 1, 'validator `v` failed: `returned value` is not plain data'],
]

for (const [name, validator, message] of validatorFailures) {
  test(`validator: ${name} is a validator_failed error finding`, async () => {
    const { e } = await engine()
    await register(e, 'prompt_version', 'p', '1.0.0')
    e.registerValidator('v', validator)
    const err = await rejects(e.requestDeployment(P, request('development', [item('prompt_version', 'p', '1.0.0')]), dave), 'VALIDATION_FAILED')
    assert.equal(err.findings.errors.length, 1)
    assert.equal(err.findings.errors[0].code, 'validator_failed')
    assert.ok(err.findings.errors[0].message.startsWith(message), err.findings.errors[0].message)
  })
}

test('validator: one that awaits the same engine works (validators run with no store lock held)', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'p', '1.0.0')
  const seen = []
  e.registerValidator('reentrant', async (ctx) => {
    // This waited for the store the request held, until the callback timeout, while validators
    // ran inside the write transaction.
    const live = await e.activeState(P, ctx.environment.name)
    const envs = await e.listEnvironments(P)
    seen.push([ctx.phase, ctx.deployment.requested_by, live.length, envs.length])
    return [{ code: 'looked', severity: 'warning', message: `${live.length} live` }]
  })
  const started = Date.now()
  const d = await e.requestDeployment(P, request('development', [item('prompt_version', 'p', '1.0.0')]), dave)
  assert.deepEqual(d.warnings.map((w) => w.code), ['looked'])
  const done = await e.execute(P, d.id, dave)
  assert.equal(done.status, 'deployed')
  assert.deepEqual(seen, [['request', 'dave', 0, 3], ['execute', 'dave', 0, 3]])
  assert.ok(Date.now() - started < 10_000, 'no callback timeout was needed')
})

test('validator: a change it makes meanwhile is caught, and validation runs again', async () => {
  const { e } = await engine()
  await register(e, 'prompt_version', 'p', '1.0.0')
  let calls = 0
  e.registerValidator('mutator', async () => {
    calls += 1
    // The first run changes the environment under validation: its findings are for content
    // that no longer exists, so the core validates again before it writes.
    if (calls === 1) await e.setVariables(P, 'development', [{ key: 'MODE', value: 'strict' }], admin('root'))
    return []
  })
  const d = await e.requestDeployment(P, request('development', [item('prompt_version', 'p', '1.0.0')]), dave)
  assert.equal(calls, 2)
  assert.deepEqual(d.config_snapshot, [{ key: 'MODE', value: 'strict', secret: false }])
})

test('validator: a promise that never settles still ends at the callback timeout (the safety net)', async () => {
  const { e } = await engine({ callback_timeout_ms: 200 })
  await register(e, 'prompt_version', 'p', '1.0.0')
  e.registerValidator('stuck', () => new Promise(() => {}))
  const err = await rejects(e.requestDeployment(P, request('development', [item('prompt_version', 'p', '1.0.0')]), dave), 'VALIDATION_FAILED')
  assert.deepEqual(err.findings.errors.map((f) => [f.code, f.message]), [['validator_failed', 'validator `stuck` failed: the validator did not settle within 200 ms']])
  e.unregisterValidator('stuck')
  assert.equal((await e.listEnvironments(P)).length, 3)
})

test('many concurrent promises on one engine', async () => {
  const { e } = await engine()
  const n = 40
  await Promise.all(Array.from({ length: n }, (_, i) => register(e, 'prompt_version', `p${i}`, '1.0.0')))
  e.registerValidator('async-ok', async () => { await sleep(1); return [] })
  const requested = await Promise.all(
    Array.from({ length: n }, (_, i) => e.requestDeployment(P, request('development', [item('prompt_version', `p${i}`, '1.0.0')], { name: `d${i}` }), dave)),
  )
  assert.equal(new Set(requested.map((d) => d.id)).size, n)
  // Executions in one environment are serialized by the core: concurrent ones either succeed or
  // are refused with CONFLICT (environment busy), never anything else.
  const outcomes = await Promise.allSettled(
    requested.map((d) => e.execute(P, d.id, dave, null, async () => { await sleep(1) })),
  )
  for (const o of outcomes) {
    if (o.status === 'rejected') assert.equal(o.reason.code, 'CONFLICT', o.reason.message)
    else assert.equal(o.value.status, 'deployed')
  }
  const deployed = outcomes.filter((o) => o.status === 'fulfilled').length
  assert.ok(deployed >= 1)
  const reads = await Promise.all(Array.from({ length: n }, (_, i) => e.activeVersion(P, 'development', 'prompt_version', `p${i}`)))
  assert.equal(reads.filter(Boolean).length, deployed)
  const [audit, verified] = await Promise.all([e.auditLog(P, null, 0, 500), e.verifyAudit()])
  assert.ok(audit.length > n)
  assert.ok(verified.entries >= audit.length)
})
