'use strict'
// The transactional outbox: one event per audit entry in order, the cursor, the project filter,
// HMAC signatures (recomputed here with node:crypto), and subscribers: called on the JavaScript
// thread after each commit, never waited for, unable to break a command or the process.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const { createHmac } = require('node:crypto')
const path = require('node:path')
const { setTimeout: sleep } = require('node:timers/promises')
const { P, admin, lead, developer, root, engine, item, register, request } = require('./support/fixtures')
const { assertShape } = require('./support/shapes')

const dave = developer('dave')
const SHIP_KINDS = [
  'version.registered',
  'deployment.requested',
  'deployment.approval_granted',
  'deployment.approved',
  'deployment.deploying',
  'deployment.deployed',
]

/** Registers, requests (staging: one lead approval), approves and executes one version. */
async function ship(e, tag = '1.0.0', comment = null) {
  await register(e, 'prompt_version', 'chatbot', tag)
  const d = await e.requestDeployment(P, request('staging', [item('prompt_version', 'chatbot', tag)]), dave)
  await e.approve(P, d.id, lead('lena'), { comment })
  return e.execute(P, d.id, dave)
}

/** Every event of `project` (null: of every project), page by page. */
async function allEvents(e, project, pageSize = 1000) {
  const out = []
  for (;;) {
    const page = await e.eventsAfter(project, out.at(-1)?.seq ?? 0, pageSize)
    if (page.length === 0) return out
    out.push(...page)
  }
}

/** Waits (letting the event loop run) until `cond()` holds. */
async function until(cond, what, ms = 10_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

// The bytes the core signs: serde_json of its `Event` struct with `signature: None`, which is
// the members in declaration order, no whitespace, and inside `payload` (a serde_json::Value,
// whose maps are sorted without the `preserve_order` feature) the members sorted by their UTF-8
// bytes at every depth. Strings print the same in JSON.stringify and serde_json, and so do
// integers that crossed into the core as integers (napi-rs turns a JavaScript number into a
// serde integer only within i32/u32 range; any other number is an f64, which serde_json prints
// as `4294967296.0` or `1e21` where JSON.stringify prints `4294967296` and `1e+21`). Numbers
// that are not integers (the policy's health thresholds, `0.05`, `1.5`) print the same shortest
// round-trip digits in both when they are plain decimals, between 1e-5 and 1e15. So the payloads
// here hold only such numbers, and the check below insists on it.
const EVENT_MEMBERS = ['seq', 'id', 'at', 'kind', 'project_id', 'object_type', 'object_id', 'actor_id', 'payload', 'signature']
const byUtf8 = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))
function sortedJson(v) {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort(byUtf8).map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(',')}}`
  }
  if (typeof v === 'number') {
    const integer = Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32
    const decimal = !Number.isInteger(v) && Math.abs(v) >= 1e-5 && Math.abs(v) < 1e15
    assert.ok(integer || decimal, `an i32/u32 integer or a plain decimal in the payload, got ${v}`)
  }
  return JSON.stringify(v)
}
function canonical(event) {
  const value = (k) => (k === 'signature' ? 'null' : k === 'payload' ? sortedJson(event.payload) : JSON.stringify(event[k]))
  return `{${EVENT_MEMBERS.map((k) => `${JSON.stringify(k)}:${value(k)}`).join(',')}}`
}
const hmac = (key, event) => createHmac('sha256', key).update(canonical(event)).digest('hex')

test('one event per audit entry, in order, each of the declared shape', async () => {
  const { e } = await engine()
  const start = await e.eventsAfter()
  assert.deepEqual(start.map((ev) => ev.kind), ['project.created', 'environment.created', 'environment.created', 'environment.created'])
  const d = await ship(e, '1.0.0', 'ok')
  const events = await e.eventsAfter(P, 0, 1000)
  const audit = await e.auditLog(P, null, 0, 500)
  assert.equal(events.length, audit.length, 'one event per audit entry')
  events.forEach((ev, n) => {
    assertShape('Event', ev)
    const a = audit[n]
    assert.equal(ev.kind, a.action === 'deployment.started' ? 'deployment.deploying' : a.action)
    assert.deepEqual([ev.at, ev.project_id, ev.object_type, ev.object_id, ev.actor_id], [a.at, a.project_id, a.object_type, a.object_id, a.actor_id])
    assert.deepEqual(ev.payload, { before: a.before, after: a.after, reason: a.reason })
    assert.equal(ev.signature, null)
    if (n > 0) assert.ok(ev.seq > events[n - 1].seq, 'seq increases')
  })
  assert.equal(new Set(events.map((ev) => ev.id)).size, events.length, 'ids are unique')
  const mine = events.filter((ev) => ev.object_id === d.id)
  assert.deepEqual(mine.map((ev) => ev.kind), SHIP_KINDS.slice(1))
  assert.deepEqual(mine.map((ev) => ev.actor_id), ['dave', 'lena', 'lena', 'dave', 'dave'])
  assert.equal(mine[1].payload.reason, 'ok')
  assert.deepEqual([mine[4].payload.before.status, mine[4].payload.after.status], ['deploying', 'deployed'])
  // A refused command writes no event.
  await assert.rejects(e.approve(P, d.id, lead('leo')), { code: 'INVALID_TRANSITION' })
  assert.equal((await e.eventsAfter(P, 0, 1000)).length, events.length)
})

test('the cursor pages through the same sequence; the project filter', async () => {
  const { e } = await engine()
  await ship(e)
  const all = await e.eventsAfter(P, 0, 1000)
  for (const size of [1, 3, 7]) assert.deepEqual(await allEvents(e, P, size), all)
  assert.deepEqual(await e.eventsAfter(P, all.at(-1).seq), [])
  assert.deepEqual(await e.eventsAfter(P, all[2].seq, 2), all.slice(3, 5))
  assert.equal((await e.eventsAfter(P)).length, Math.min(all.length, 100), 'afterSeq 0 and limit 100 by default')

  await e.createProject('other', 'acme', 'Other', root)
  const other = await e.eventsAfter('other')
  assert.deepEqual(other.map((ev) => [ev.kind, ev.project_id]), [['project.created', 'other']])
  assert.deepEqual(await e.eventsAfter(P, 0, 1000), all, 'the other project does not show in this one')
  const everything = await allEvents(e, null)
  assert.deepEqual(everything, [...all, ...other], 'null (or nothing) is every project')
  assert.deepEqual(await e.eventsAfter(undefined, 0, 1000), everything)
  assert.deepEqual(await e.eventsAfter('nope'), [], 'an unknown project has no events')
})

test('signatures: HMAC-SHA256 over the canonical JSON, recomputed with node:crypto', async () => {
  const { e } = await engine()
  // Payloads with what could break a re-serialization: member names that look like array
  // indices (JavaScript orders them first), non-ASCII names and values, escapes.
  await register(e, 'prompt_version', 'chatbot', '0.9.0', {
    metadata: { 10: 1, 2: [true, null, -3], é: 'ü ✓', Z: { b: 1, a: { '': 'empty name' } }, big: 4_294_967_295, low: -2_147_483_648 },
  })
  await ship(e, '1.0.0', 'lgtm ✓ "quoted" \\ back\nslash\ttab \u0001 😀')

  const key = Buffer.from('s3cret')
  e.setEventSigningKey(key)
  const signed = await e.eventsAfter(P, 0, 1000)
  assert.ok(signed.length >= 10)
  for (const ev of signed) {
    assert.match(ev.signature, /^[0-9a-f]{64}$/)
    assert.equal(ev.signature, hmac(key, ev), `event ${ev.seq} (${ev.kind})`)
  }
  assert.deepEqual(await e.eventsAfter(P, 0, 1000), signed, 'a second read gives the same signatures')
  const tampered = { ...signed[0], object_id: 'x' }
  assert.notEqual(hmac(key, tampered), signed[0].signature)

  // A Uint8Array with the same bytes is the same key; another key changes every signature.
  e.setEventSigningKey(new Uint8Array([...key]))
  assert.deepEqual(await e.eventsAfter(P, 0, 1000), signed)
  e.setEventSigningKey(new TextEncoder().encode('other'))
  const other = await e.eventsAfter(P, 0, 1000)
  other.forEach((ev, n) => {
    assert.notEqual(ev.signature, signed[n].signature)
    assert.equal(ev.signature, hmac('other', ev))
    assert.deepEqual({ ...ev, signature: null }, { ...signed[n], signature: null })
  })

  e.setEventSigningKey(null)
  assert.ok((await e.eventsAfter(P, 0, 1000)).every((ev) => ev.signature === null))
})

test('a subscriber gets every event of each command, in order, on the JavaScript thread, signed', async () => {
  const { e } = await engine()
  const key = Buffer.from('k')
  e.setEventSigningKey(key)
  const got = []
  e.subscribe('sink', (ev) => {
    got.push(ev)
  })
  const d = await ship(e)
  assert.equal(d.status, 'deployed')
  await until(() => got.length >= SHIP_KINDS.length, 'the deliveries')
  assert.deepEqual(got.map((ev) => ev.kind), SHIP_KINDS)
  got.forEach((ev) => assertShape('Event', ev))
  // Exactly what the outbox holds, signature included.
  const stored = await e.eventsAfter(P, got[0].seq - 1, got.length)
  assert.deepEqual(got, stored)
  assert.ok(got.every((ev) => ev.signature === hmac(key, ev)))

  // The same name replaces the subscriber; unsubscribe stops deliveries.
  const second = []
  e.subscribe('sink', (ev) => second.push(ev.kind))
  await e.setHealth(P, 'staging', 'degraded', root)
  await until(() => second.length === 1, 'the delivery to the replacement')
  assert.equal(got.length, SHIP_KINDS.length, 'the replaced subscriber gets nothing more')
  assert.equal(e.unsubscribe('sink'), true)
  assert.equal(e.unsubscribe('sink'), false)
  await e.setHealth(P, 'staging', 'healthy', root)
  await sleep(50)
  assert.deepEqual(second, ['environment.health_changed'])
})

test('a subscriber that throws, rejects or never settles breaks neither the command nor the process', async () => {
  const { e } = await engine()
  const uncaught = []
  const onUncaught = (err) => uncaught.push(err)
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  try {
    const calls = { throws: 0, string: 0, rejects: 0, hangs: 0 }
    e.subscribe('throws', () => {
      calls.throws++
      throw new Error('subscriber bug')
    })
    e.subscribe('string', () => {
      calls.string++
      throw 'a string' // eslint-disable-line no-throw-literal
    })
    e.subscribe('rejects', async () => {
      calls.rejects++
      await sleep(1)
      throw new TypeError('async subscriber bug')
    })
    e.subscribe('hangs', () => {
      calls.hangs++
      return new Promise(() => {})
    })
    const got = []
    e.subscribe('sink', (ev) => got.push(ev.kind))
    const started = Date.now()
    const d = await ship(e)
    assert.equal(d.status, 'deployed', 'the command succeeded')
    assert.ok(Date.now() - started < 10_000, 'the command did not wait for the subscribers')
    // Each subscriber has its own queue to the JavaScript thread: wait for all of them.
    await until(() => got.length === SHIP_KINDS.length && Object.values(calls).every((c) => c === SHIP_KINDS.length), 'the deliveries')
    assert.deepEqual(got, SHIP_KINDS, 'the other subscribers still get every event')
    assert.deepEqual(calls, { throws: 6, string: 6, rejects: 6, hangs: 6 })
    await sleep(20) // let the async rejections settle
    assert.deepEqual(uncaught, [], 'nothing reached the process')
    assert.equal((await e.verifyAudit()).entries > 0, true)
  } finally {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
  }
})

test('a subscriber may await the engine; the command does not wait for it', async () => {
  const { e } = await engine()
  const seen = []
  let release
  const gate = new Promise((resolve) => {
    release = resolve
  })
  e.subscribe('reader', async (ev) => {
    await gate
    if (ev.object_type === 'deployment') seen.push([ev.kind, (await e.getDeployment(P, ev.object_id)).status])
  })
  const d = await ship(e) // resolves while every subscriber call is still waiting on `gate`
  assert.equal(d.status, 'deployed')
  assert.deepEqual(seen, [])
  release()
  await until(() => seen.length === 5, 'the subscriber reads')
  assert.ok(seen.every(([, status]) => status === 'deployed'), 'it reads the state after the commit')
})

test('many concurrent promises with a subscriber attached: each event delivered exactly once', async () => {
  const { e } = await engine()
  const got = []
  e.subscribe('sink', (ev) => got.push(ev))
  e.registerValidator('async-ok', async () => {
    await sleep(1)
    return []
  })
  const n = 40
  await Promise.all(Array.from({ length: n }, (_, i) => register(e, 'prompt_version', `p${i}`, '1.0.0')))
  const requested = await Promise.all(
    Array.from({ length: n }, (_, i) => e.requestDeployment(P, request('development', [item('prompt_version', `p${i}`, '1.0.0')], { name: `d${i}` }), dave)),
  )
  const outcomes = await Promise.allSettled(requested.map((d) => e.execute(P, d.id, dave, null, async () => sleep(1))))
  for (const o of outcomes) if (o.status === 'rejected') assert.equal(o.reason.code, 'CONFLICT', o.reason.message)
  const reads = await Promise.all([allEvents(e, null), allEvents(e, P, 7), e.verifyAudit()])
  const stored = reads[0]
  assert.deepEqual(reads[1], stored, 'paging while idle gives the same sequence')
  await until(() => got.length >= stored.length - 4, 'every delivery') // the 4 set-up events came before `subscribe`
  await sleep(20)
  // Concurrent commands deliver concurrently, so arrival order may interleave between them.
  const delivered = [...got].sort((a, b) => a.seq - b.seq)
  assert.equal(new Set(delivered.map((ev) => ev.id)).size, delivered.length, 'no event twice')
  assert.deepEqual(delivered, stored.slice(4), 'every committed event, as stored')
})

test('a subscriber does not keep the process alive', () => {
  const addon = path.join(__dirname, '..')
  const script = `
    const { Engine } = require(${JSON.stringify(addon)})
    const e = new Engine(':memory:')
    let n = 0
    e.subscribe('count', () => { n++ })
    e.createProject('p', 't', 'n', { id: 'a', roles: ['admin'] }).then(() => setTimeout(() => console.log(n), 20))
  `
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 })
  assert.equal(out.trim(), '1', 'the event was delivered, then the process exited on its own')
})

test('admin commands write their events too', async () => {
  const { e } = await engine()
  const after = (await e.eventsAfter(P)).at(-1).seq
  await e.setPolicy(P, 'staging', { four_eyes: false }, root)
  await e.setVariables(P, 'staging', [{ key: 'TOKEN', value: 'hunter2', secret: true }], admin('ops'))
  const events = await e.eventsAfter(P, after)
  assert.deepEqual(events.map((ev) => [ev.kind, ev.object_id, ev.actor_id]), [
    ['environment.policy_changed', 'staging', 'root'],
    ['environment.four_eyes_disabled', 'staging', 'root'],
    ['environment.variables_changed', 'staging', 'ops'],
  ])
  assert.deepEqual(events.map((ev) => ev.kind), (await e.auditLog(P, null, after)).map((a) => a.action))
  assert.ok(!JSON.stringify(events).includes('hunter2'), 'secret values are redacted in events')
})
