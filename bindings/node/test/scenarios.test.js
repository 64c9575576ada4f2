'use strict'
// Runs the shared scenario corpus `tests/scenarios/*.json` (format: tests/scenarios/README.md)
// through the Node face, with the semantics of the Rust runner core/tests/scenarios.rs: a fresh
// in-memory engine on a ManualClock per file, unknown keys refused everywhere (members of the
// core's own types through the interfaces of index.d.ts), `$name` references, the scenario
// executor with `fail_on`, and the same expectations. A failure names the file and step index.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { isDeepStrictEqual } = require('node:util')
const { Engine, ManualClock } = require('deploygov')
const { unknownMembers } = require('./support/shapes')

// DEPLOYGOV_SCENARIO_DIR runs another folder (to check the runner itself on broken files).
const DIR = process.env.DEPLOYGOV_SCENARIO_DIR || path.join(__dirname, '..', '..', '..', 'tests', 'scenarios')
const MIN_SCENARIOS = 14
const DEFAULT_CLOCK = '2026-01-15T09:00:00Z'
const SIMULATED_FAILURE = 'simulated failure'
const NO_ACTOR = [
  'get_deployment',
  'list_deployments',
  'active_state',
  'active_version',
  'active_version_tag',
  'entity_history',
  'compare_environments',
  'audit_log',
  'verify_audit',
  'events_after',
  'sweep',
  'due',
  'active_state_at',
  'deployments_live_at',
  'compare_variables',
  'list_artifacts',
  'prunable_artifacts',
  'list_deployment_errors',
  'compliance_report',
  'environment_metrics',
  'list_freezes',
  'active_freezes',
  'log',
  'deployment_logs',
  'health_checks',
  'advance_clock',
]
const DEP = ['project', 'deployment_id']
const EXPECT_KEYS = ['error', 'status', 'items', 'active', 'findings', 'allowed', 'count', 'fields']
const CORE_CODES = ['not_found', 'invalid_transition', 'forbidden', 'self_approval', 'policy_violation', 'validation_failed', 'conflict', 'invalid_input', 'storage', 'audit_corrupt']

/** A malformed scenario or an expectation that does not hold. */
class ScenarioError extends Error {}
const fail = (message) => {
  throw new ScenarioError(message)
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const brief = (v) => {
  const s = JSON.stringify(v) ?? 'undefined'
  return s.length > 400 ? `${s.slice(0, 400)}...` : s
}

function object(v, what) {
  if (!isObject(v)) fail(`${what} must be an object`)
  return v
}

function onlyKeys(m, allowed, what) {
  const k = Object.keys(m).find((k) => !allowed.includes(k))
  if (k !== undefined) fail(`unknown key \`${k}\` in ${what} (allowed: ${allowed.join(', ')})`)
}

function string(m, key) {
  if (typeof m[key] !== 'string') fail(`\`${key}\` must be a string`)
  return m[key]
}

function list(m, key) {
  if (m[key] === undefined) return []
  if (!Array.isArray(m[key])) fail(`\`${key}\` must be an array`)
  return m[key]
}

/** A value of the core type `type` (an interface of index.d.ts): an object without unknown members. */
function strict(v, type, what) {
  object(v, `\`${what}\``)
  const unknown = unknownMembers(type, v, what)
  if (unknown.length) fail(`\`${what}\`: ${unknown[0]}`)
  return v
}

/** An instant as the Rust runner reads a `DateTime<Utc>` argument: an RFC 3339 string. */
function rfc3339(v, what) {
  const re = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
  if (typeof v !== 'string' || !re.test(v) || Number.isNaN(Date.parse(v.replace(' ', 'T')))) fail(`\`${what}\` must be an RFC 3339 time`)
  return v
}

function integer(v, what, min, max) {
  if (!Number.isInteger(v) || v < min || v > max) fail(`\`${what}\` must be an integer between ${min} and ${max}`)
  return v
}

/** The named arguments of one step, with the default project. */
class Args {
  constructor(v, project) {
    if (v !== null && v !== undefined && !isObject(v)) fail('`args` must be an object')
    this.map = v ?? {}
    this.defaultProject = project
  }
  allow(keys) {
    onlyKeys(this.map, keys, 'args')
  }
  has(key) {
    return this.map[key] !== undefined && this.map[key] !== null
  }
  get(key) {
    if (!(key in this.map)) fail(`missing argument \`${key}\``)
    return this.map[key]
  }
  str(key) {
    const v = this.get(key)
    if (typeof v !== 'string') fail(`\`${key}\`: expected a string`)
    return v
  }
  optStr(key) {
    return this.has(key) ? this.str(key) : null
  }
  project() {
    return this.optStr('project') ?? this.defaultProject
  }
  typed(key, type) {
    return strict(this.get(key), type, key)
  }
  optTyped(key, type) {
    return this.has(key) ? this.typed(key, type) : null
  }
  strings(key) {
    const v = this.get(key)
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(`\`${key}\` must be an array of strings`)
    return v
  }
  time(key) {
    return rfc3339(this.get(key), key)
  }
  /** An optional cursor (default 0) and page size, as `audit_log` and `events_after` read them. */
  afterSeq() {
    return this.has('after_seq') ? integer(this.get('after_seq'), 'after_seq', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) : 0
  }
  limit() {
    return this.has('limit') ? integer(this.get('limit'), 'limit', 0, 2 ** 32 - 1) : null
  }
  failOn() {
    if (!this.has('fail_on')) return []
    const v = this.get('fail_on')
    if (!Array.isArray(v)) fail('`fail_on` must be an array')
    return v.map((f, i) => {
      object(f, `\`fail_on.${i}\``)
      onlyKeys(f, ['entity_type', 'entity_id'], `fail_on.${i}`)
      return { entity_type: string(f, 'entity_type'), entity_id: string(f, 'entity_id') }
    })
  }
}

/** Fails (not on revert) for the entities in `failOn`, succeeds otherwise. */
function scenarioExecutor(failOn) {
  return (a) => {
    const hit = failOn.some((f) => f.entity_type === a.entity_type && f.entity_id === a.entity_id)
    if (hit && !a.revert) throw new Error(SIMULATED_FAILURE)
  }
}

function lookup(v, p) {
  if (p === '') return v
  let cur = v
  for (const seg of p.split('.')) {
    if (Array.isArray(cur)) cur = /^\d+$/.test(seg) ? cur[Number(seg)] : undefined
    else if (isObject(cur)) cur = Object.prototype.hasOwnProperty.call(cur, seg) ? cur[seg] : undefined
    else cur = undefined
    if (cur === undefined) return undefined
  }
  return cur
}

function same(what, got, want) {
  if (got === undefined) fail(`\`${what}\` is missing from the result, expected ${brief(want)}`)
  if (!isDeepStrictEqual(got, want)) fail(`\`${what}\` is ${brief(got)}, expected ${brief(want)}`)
}

/** Checks every expectation except `active`; `outcome` is `{ value }` or `{ error }`. */
function checkOutcome(expect, outcome) {
  const wantError = expect.error
  if (wantError !== undefined && typeof wantError !== 'string') fail('`error` must be a string')
  const code = outcome.error && outcome.error.code.toLowerCase()
  if (outcome.error && wantError === undefined) fail(`unexpected error \`${code}\`: ${outcome.error.message}`)
  if (outcome.error && code !== wantError) fail(`expected error \`${wantError}\`, got \`${code}\`: ${outcome.error.message}`)
  if (!outcome.error && wantError !== undefined) fail(`expected error \`${wantError}\`, but the step succeeded with ${brief(outcome.value)}`)
  if (expect.findings !== undefined) {
    if (!Array.isArray(expect.findings) || !expect.findings.every((f) => typeof f === 'string')) fail('`expect.findings` must be a list of strings')
    let got
    if (outcome.error) {
      if (!outcome.error.findings) fail('`findings` needs a `validation_failed` error')
      got = outcome.error.findings.errors.map((f) => f.code)
    } else {
      const errors = lookup(outcome.value, 'findings.errors')
      if (!Array.isArray(errors)) fail('the result has no `findings.errors`')
      got = errors.map((f) => (typeof f.code === 'string' ? f.code : '?'))
    }
    const [g, w] = [[...got].sort(), [...expect.findings].sort()]
    if (!isDeepStrictEqual(g, w)) fail(`findings are ${brief(g)}, expected ${brief(w)}`)
  }
  if (outcome.error) {
    const k = Object.keys(expect).find((k) => !['error', 'findings', 'active'].includes(k))
    if (k !== undefined) fail(`\`${k}\` cannot be checked together with \`error\``)
    return
  }
  const v = outcome.value
  if ('status' in expect) same('status', isObject(v) ? v.status : undefined, expect.status)
  if ('allowed' in expect) same('allowed', isObject(v) ? v.allowed : undefined, expect.allowed)
  if ('count' in expect) {
    const items = Array.isArray(v) ? v : isObject(v) && Array.isArray(v.items) ? v.items : null
    if (!items) fail('`count` needs a list result')
    same('count', items.length, expect.count)
  }
  if ('items' in expect) {
    if (!Array.isArray(expect.items)) fail('`items` must be an array')
    const got = isObject(v) && Array.isArray(v.items) ? v.items : fail('the result has no `items`')
    if (got.length !== expect.items.length) fail(`the result has ${got.length} items, expected ${expect.items.length}`)
    expect.items.forEach((w, n) => {
      for (const [k, wv] of Object.entries(object(w, 'expected item'))) same(`items.${n}.${k}`, got[n][k], wv)
    })
  }
  if ('fields' in expect) {
    for (const [p, want] of Object.entries(object(expect.fields, 'expect.fields'))) same(p, lookup(v, p), want)
  }
}

class Run {
  constructor(clock) {
    this.clock = new ManualClock(clock)
    this.engine = new Engine(':memory:', { clock: this.clock })
    this.project = ''
    this.saved = new Map()
  }

  async setup(v) {
    const s = object(v, 'setup')
    onlyKeys(s, ['projects', 'environments', 'versions'], 'setup')
    const actor = { id: 'setup', roles: ['admin'] }
    for (const [i, raw] of list(s, 'projects').entries()) {
      const p = object(raw, 'project')
      onlyKeys(p, ['id', 'tenant', 'name'], 'project')
      const id = string(p, 'id')
      await this.engine.createProject(id, string(p, 'tenant'), string(p, 'name'), actor).catch((e) => fail(`projects.${i}: ${e.message}`))
      if (i === 0) this.project = id
    }
    if (!this.project) fail('`projects` must name at least one project')
    for (const [i, raw] of list(s, 'environments').entries()) {
      const [project, spec] = this.splitProject(raw)
      strict(spec, 'EnvironmentSpec', 'environment')
      await this.engine.createEnvironment(project, spec, actor).catch((e) => fail(`environments.${i}: ${e.message}`))
    }
    for (const [i, raw] of list(s, 'versions').entries()) {
      const [project, spec] = this.splitProject(raw)
      strict(spec, 'VersionSpec', 'version')
      await this.engine.registerVersion(project, spec, actor).catch((e) => fail(`versions.${i}: ${e.message}`))
    }
  }

  splitProject(v) {
    const { project, ...rest } = object(v, 'setup entry')
    if (project !== undefined && typeof project !== 'string') fail('`project` must be a string')
    return [project ?? this.project, rest]
  }

  /** Replaces `"$name"` by the saved id and `"$$x"` by the literal `"$x"`, recursively. */
  subst(v) {
    if (typeof v === 'string' && v.startsWith('$')) {
      const rest = v.slice(1)
      if (rest.startsWith('$')) return rest
      if (!this.saved.has(rest)) fail(`\`$${rest}\` was not saved by an earlier step`)
      return this.saved.get(rest)
    }
    if (Array.isArray(v)) return v.map((x) => this.subst(x))
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.subst(x)]))
    return v
  }

  async step(raw) {
    const s = object(raw, 'step')
    onlyKeys(s, ['op', 'note', 'actor', 'args', 'expect', 'save_as'], 'step')
    const op = string(s, 'op')
    const actor = s.actor === undefined ? null : strict(s.actor, 'Actor', 'actor')
    const args = new Args(this.subst(s.args ?? null), this.project)
    const expect = object(this.subst(s.expect ?? {}), 'expect')
    onlyKeys(expect, EXPECT_KEYS, 'expect')
    let outcome
    try {
      outcome = { value: await this.call(op, actor, args) }
    } catch (e) {
      if (e instanceof ScenarioError) throw e
      if (e instanceof TypeError || !CORE_CODES.includes(String(e.code).toLowerCase())) fail(`the step is malformed: ${e.message}`)
      outcome = { error: e }
    }
    checkOutcome(expect, outcome)
    if (expect.active !== undefined) await this.checkActive(args.project(), object(expect.active, 'expect.active'))
    if (s.save_as !== undefined) {
      const name = s.save_as
      if (typeof name !== 'string' || !name || name.startsWith('$')) fail('`save_as` must be a name without `$`')
      if (outcome.error) fail('`save_as` on a step that failed')
      const id = isObject(outcome.value) ? outcome.value.id : undefined
      if (typeof id !== 'string') fail('`save_as`: the result has no string `id`')
      if (this.saved.has(name)) fail(`\`save_as\`: \`${name}\` is already saved`)
      this.saved.set(name, id)
    }
  }

  /** Calls the engine method `op`; throws a ScenarioError for a malformed step, the engine's error otherwise. */
  async call(op, actor, a) {
    const e = this.engine
    if (NO_ACTOR.includes(op) && actor) fail(`\`${op}\` takes no \`actor\``)
    const who = () => actor ?? fail(`\`${op}\` needs an \`actor\``)
    const dep = (...extra) => a.allow([...DEP, ...extra])
    switch (op) {
      case 'create_project':
        a.allow(['id', 'tenant', 'name'])
        return e.createProject(a.str('id'), a.str('tenant'), a.str('name'), who())
      case 'create_environment':
        a.allow(['project', 'spec'])
        return e.createEnvironment(a.project(), a.typed('spec', 'EnvironmentSpec'), who())
      case 'set_policy':
        a.allow(['project', 'environment', 'policy'])
        return e.setPolicy(a.project(), a.str('environment'), a.typed('policy', 'PolicyInput'), who())
      case 'set_variables': {
        a.allow(['project', 'environment', 'variables'])
        const vars = a.get('variables')
        if (!Array.isArray(vars)) fail('`variables` must be an array')
        vars.forEach((v, i) => strict(v, 'Variable', `variables.${i}`))
        return e.setVariables(a.project(), a.str('environment'), vars, who())
      }
      case 'set_health':
        a.allow(['project', 'environment', 'health'])
        return e.setHealth(a.project(), a.str('environment'), a.str('health'), who())
      case 'register_version':
        a.allow(['project', 'spec'])
        return e.registerVersion(a.project(), a.typed('spec', 'VersionSpec'), who())
      case 'request_deployment':
        a.allow(['project', 'request'])
        return e.requestDeployment(a.project(), a.typed('request', 'DeploymentRequest'), who())
      case 'approve':
        dep('options')
        return e.approve(a.project(), a.str('deployment_id'), who(), a.optTyped('options', 'ApproveOptions'))
      case 'reject':
        dep('reason')
        return e.reject(a.project(), a.str('deployment_id'), who(), a.str('reason'))
      case 'cancel':
        dep('reason')
        return e.cancel(a.project(), a.str('deployment_id'), who(), a.optStr('reason'))
      case 'execute':
        dep('options', 'fail_on')
        return e.execute(a.project(), a.str('deployment_id'), who(), a.optTyped('options', 'ExecuteOptions'), scenarioExecutor(a.failOn()))
      case 'rollback': {
        dep('options', 'fail_on')
        // Like the Rust runner's `get_or_default`: no options is the default, whose reason is empty.
        const options = a.optTyped('options', 'RollbackOptions') ?? { reason: '' }
        return e.rollback(a.project(), a.str('deployment_id'), who(), options, scenarioExecutor(a.failOn()))
      }
      case 'check':
        dep('action')
        return e.check(a.project(), a.str('deployment_id'), who(), a.str('action'))
      case 'promote':
        dep('to_environment')
        return e.promote(a.project(), a.str('deployment_id'), a.str('to_environment'), who())
      case 'release_lease':
        dep('reason')
        return e.releaseLease(a.project(), a.str('deployment_id'), who(), a.str('reason'))
      case 'sweep':
        // Store-wide: no `project`, like the Rust runner's `a.allow(&[])`.
        a.allow([])
        return e.sweep()
      case 'quarantine_version':
      case 'release_version': {
        a.allow(['project', 'entity_type', 'entity_id', 'version_tag', 'reason'])
        const f = op === 'quarantine_version' ? e.quarantineVersion : e.releaseVersion
        return f.call(e, a.project(), a.str('entity_type'), a.str('entity_id'), a.str('version_tag'), who(), a.str('reason'))
      }
      case 'due':
        a.allow(['project'])
        return e.due(a.project())
      case 'active_state_at':
        a.allow(['project', 'environment', 'at'])
        return e.activeStateAt(a.project(), a.str('environment'), rfc3339(a.get('at'), 'at'))
      case 'deployments_live_at':
        a.allow(['project', 'environment', 'at'])
        return e.deploymentsLiveAt(a.project(), a.str('environment'), rfc3339(a.get('at'), 'at'))
      case 'get_deployment':
        a.allow(DEP)
        return e.getDeployment(a.project(), a.str('deployment_id'))
      case 'list_deployments':
        a.allow(['project', 'filter'])
        return e.listDeployments(a.project(), a.optTyped('filter', 'DeploymentFilter'))
      case 'active_state':
        a.allow(['project', 'environment'])
        return e.activeState(a.project(), a.str('environment'))
      case 'active_version':
        a.allow(['project', 'environment', 'entity_type', 'entity_id'])
        return e.activeVersion(a.project(), a.str('environment'), a.str('entity_type'), a.str('entity_id'))
      case 'active_version_tag': {
        a.allow(['project', 'environment', 'entity_type', 'entity_id'])
        const args = [a.project(), a.str('environment'), a.str('entity_type'), a.str('entity_id')]
        const tag = await e.activeVersionTag(...args)
        assert.equal(e.activeVersionTagSync(...args), tag, 'the sync and promise forms agree')
        return tag
      }
      case 'entity_history': {
        a.allow(['project', 'entity_type', 'entity_id', 'limit'])
        const limit = a.has('limit') ? integer(a.get('limit'), 'limit', 0, 2 ** 32 - 1) : null
        return e.entityHistory(a.project(), a.str('entity_type'), a.str('entity_id'), limit)
      }
      case 'compare_environments':
        a.allow(['project', 'left', 'right'])
        return e.compareEnvironments(a.project(), a.str('left'), a.str('right'))
      case 'pending_approvals':
        a.allow(['project'])
        return e.pendingApprovals(a.project(), who())
      case 'audit_log': {
        a.allow(['project', 'object_id', 'after_seq', 'limit'])
        const after = a.has('after_seq') ? integer(a.get('after_seq'), 'after_seq', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) : 0
        const limit = a.has('limit') ? integer(a.get('limit'), 'limit', 0, 2 ** 32 - 1) : null
        return e.auditLog(a.project(), a.optStr('object_id'), after, limit)
      }
      case 'events_after': {
        // The step's project only (the Rust runner passes `Some(project)`), never every project.
        a.allow(['project', 'after_seq', 'limit'])
        const after = a.has('after_seq') ? integer(a.get('after_seq'), 'after_seq', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) : 0
        const limit = a.has('limit') ? integer(a.get('limit'), 'limit', 0, 2 ** 32 - 1) : null
        return e.eventsAfter(a.project(), after, limit)
      }
      case 'verify_audit':
        a.allow([])
        return e.verifyAudit()
      case 'unset_variables':
        a.allow(['project', 'environment', 'keys'])
        return e.unsetVariables(a.project(), a.str('environment'), a.strings('keys'), who())
      case 'compare_variables':
        a.allow(['project', 'left', 'right'])
        return e.compareVariables(a.project(), a.str('left'), a.str('right'))
      case 'attach_artifact':
        a.allow(['project', 'spec'])
        return e.attachArtifact(a.project(), a.typed('spec', 'ArtifactSpec'), who())
      case 'list_artifacts':
        a.allow(['project', 'entity_type', 'entity_id', 'version_tag'])
        return e.listArtifacts(a.project(), a.str('entity_type'), a.str('entity_id'), a.optStr('version_tag'))
      case 'prunable_artifacts':
        a.allow(['project'])
        return e.prunableArtifacts(a.project())
      case 'prune_artifacts':
        a.allow(['project', 'ids', 'reason'])
        return e.pruneArtifacts(a.project(), a.strings('ids'), who(), a.str('reason'))
      case 'record_deployment_error':
        a.allow(['project', 'spec'])
        return e.recordDeploymentError(a.project(), a.typed('spec', 'ErrorSpec'), who())
      case 'resolve_deployment_error':
        a.allow(['project', 'error_id', 'notes'])
        return e.resolveDeploymentError(a.project(), a.str('error_id'), who(), a.str('notes'))
      case 'list_deployment_errors':
        a.allow(['project', 'filter'])
        return e.listDeploymentErrors(a.project(), a.optTyped('filter', 'ErrorFilter'))
      case 'compliance_report':
        a.allow(['project', 'from', 'to', 'environment'])
        return e.complianceReport(a.project(), a.time('from'), a.time('to'), a.optStr('environment'))
      case 'environment_metrics':
        a.allow(['project', 'environment', 'from', 'to'])
        return e.environmentMetrics(a.project(), a.str('environment'), a.time('from'), a.time('to'))
      case 'add_freeze':
        a.allow(['project', 'spec'])
        return e.addFreeze(a.project(), a.typed('spec', 'FreezeSpec'), who())
      case 'remove_freeze':
        a.allow(['project', 'freeze_id', 'reason'])
        return e.removeFreeze(a.project(), a.str('freeze_id'), who(), a.str('reason'))
      case 'list_freezes':
        a.allow(['project', 'environment'])
        return e.listFreezes(a.project(), a.optStr('environment'))
      case 'active_freezes':
        a.allow(['project', 'environment', 'at'])
        return e.activeFreezes(a.project(), a.str('environment'), a.time('at'))
      case 'begin':
        dep('options')
        return e.begin(a.project(), a.str('deployment_id'), who(), a.optTyped('options', 'ExecuteOptions'))
      case 'log':
        dep('stage', 'line')
        return e.log(a.project(), a.str('deployment_id'), a.str('stage'), a.str('line'))
      case 'deployment_logs':
        dep('after_seq', 'limit')
        return e.deploymentLogs(a.project(), a.str('deployment_id'), a.afterSeq(), a.limit())
      case 'heartbeat':
        a.allow(DEP)
        return e.heartbeat(a.project(), a.str('deployment_id'), who())
      case 'complete':
        dep('completion')
        return e.complete(a.project(), a.str('deployment_id'), who(), a.typed('completion', 'Completion'))
      case 'resume':
        dep('decision', 'reason', 'fail_on')
        return e.resume(a.project(), a.str('deployment_id'), who(), a.str('decision'), a.optStr('reason'), scenarioExecutor(a.failOn()))
      case 'report_health':
        dep('report', 'fail_on')
        return e.reportHealth(a.project(), a.str('deployment_id'), a.typed('report', 'HealthReport'), who(), scenarioExecutor(a.failOn()))
      case 'health_checks':
        a.allow(DEP)
        return e.healthChecks(a.project(), a.str('deployment_id'))
      case 'advance_clock':
        a.allow(['seconds'])
        this.clock.advance(integer(a.get('seconds'), 'seconds', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
        return null
      default:
        return fail(`unknown op \`${op}\``)
    }
  }

  /** The full active state of each named environment must equal the expected map. */
  async checkActive(project, want) {
    for (const [env, entries] of Object.entries(want)) {
      object(entries, 'expect.active')
      if (!Object.values(entries).every((v) => typeof v === 'string')) fail('`expect.active` maps entities to version tags')
      const live = await this.engine.activeState(project, env).catch((e) => fail(`active state of \`${env}\`: ${e.message}`))
      const got = Object.fromEntries(live.map((a) => [`${a.entity_type}/${a.entity_id}`, a.version_tag]))
      if (!isDeepStrictEqual(got, entries)) fail(`active state of \`${env}\` is ${brief(got)}, expected ${brief(entries)}`)
    }
  }
}

async function runFile(file) {
  let doc
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    fail(`cannot read: ${e.message}`)
  }
  const top = object(doc, 'scenario')
  onlyKeys(top, ['name', 'description', 'clock', 'setup', 'steps'], 'scenario')
  string(top, 'name')
  string(top, 'description')
  if (top.clock !== undefined && typeof top.clock !== 'string') fail('`clock` must be a string')
  let run
  try {
    run = new Run(top.clock ?? DEFAULT_CLOCK)
  } catch (e) {
    fail(`bad \`clock\` \`${top.clock}\`: ${e.message}`)
  }
  if (top.setup === undefined) fail('missing `setup`')
  await run.setup(top.setup).catch((e) => fail(`setup: ${e.message}`))
  if (!Array.isArray(top.steps) || top.steps.length === 0) fail('`steps` must be a non-empty array')
  for (const [i, step] of top.steps.entries()) {
    const op = isObject(step) && typeof step.op === 'string' ? step.op : '?'
    await run.step(step).catch((e) => fail(`step ${i} (${op}): ${e.message}`))
  }
}

const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : []

test(`the corpus holds at least ${MIN_SCENARIOS} scenarios`, () => {
  assert.ok(files.length >= MIN_SCENARIOS, `${DIR} holds ${files.length} scenario files, expected at least ${MIN_SCENARIOS}`)
})

for (const f of files) {
  test(`scenario ${f}`, async () => {
    await runFile(path.join(DIR, f))
  })
}
