// The workloads of issue 8 from Node (scripts/bench.sh runs it; same data set and counts as
// core/examples/bench_workloads.rs). Prints `node <workload> <per second> <µs per operation>`.
//
// usage: node bench_node.js <db> <cursor> <at> [--quick]
'use strict'

const { Engine } = require('../bindings/node')

const P = 'bench'
const ENV = 'production'
const T = 'prompt_version'
const ENTITIES = 10000
const admin = (id) => ({ id, roles: ['admin'] })

function report(workload, ops, seconds) {
  const perOp = seconds / ops
  console.log(`node ${workload} ${(1 / perOp).toFixed(0)} ${(perOp * 1e6).toFixed(3)}`)
}

const now = () => Number(process.hrtime.bigint()) / 1e9

async function timed(budget, batch, f) {
  const started = now()
  let n = 0
  while (now() - started < budget) {
    for (let i = 0; i < batch; i++) await f()
    n += batch
  }
  return [n, now() - started]
}

function timedSync(budget, batch, f) {
  const started = now()
  let n = 0
  while (now() - started < budget) {
    for (let i = 0; i < batch; i++) f()
    n += batch
  }
  return [n, now() - started]
}

async function register(e, eid, tag) {
  await e.registerVersion(P, { entity_type: T, entity_id: eid, version_tag: tag }, admin('alice'))
}

// An executor of the host's: the execution is then two transactions (deploying first).
function hostExecutor() {}

// Request, two approvals, execute (the version is registered beforehand); without an executor,
// the default one, which acts only on the store (one transaction to execute).
async function lifecycle(e, eid, tag, executor = null) {
  const item = { entity_type: T, entity_id: eid, version_tag: tag }
  const d = await e.requestDeployment(P, { environment: ENV, name: `${eid}-${tag}`, items: [item] }, admin('alice'))
  await e.approve(P, d.id, admin('bob'))
  await e.approve(P, d.id, admin('carol'))
  const done = await e.execute(P, d.id, admin('bob'), null, executor)
  if (done.status !== 'deployed') throw new Error(`not deployed: ${done.status}`)
  return done.id
}

async function main() {
  const [db, cursor, at] = process.argv.slice(2)
  const quick = process.argv.includes('--quick')
  const budget = quick ? 1 : 3
  const e = await Engine.open(db)
  const ids = Array.from({ length: ENTITIES }, (_, i) => `p${String(i).padStart(5, '0')}`)
  let seed = 42
  const picks = Array.from({ length: 4096 }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return ids[seed % ENTITIES]
  })
  let k = 0
  report('hot_read', ...timedSync(budget, 1000, () => e.activeVersionSync(P, ENV, T, picks[(k = (k + 1) & 4095)])))
  report('hot_read_tag', ...timedSync(budget, 1000, () => e.activeVersionTagSync(P, ENV, T, picks[(k = (k + 1) & 4095)])))
  report('hot_read_async', ...(await timed(budget, 100, () => e.activeVersion(P, ENV, T, picks[(k = (k + 1) & 4095)]))))
  const filter = { environment: ENV, requested_by: 'alice', cursor, limit: 50 }
  report('list_deep', ...(await timed(budget, 10, () => e.listDeployments(P, filter))))
  let first = now()
  await e.activeStateAt(P, ENV, at)
  report('active_state_at_first', 1, now() - first)
  report('active_state_at', ...(await timed(budget, 1, () => e.activeStateAt(P, ENV, at))))

  let started = now()
  const { entries } = await e.verifyAudit()
  report('verify_audit_entries', entries, now() - started)

  const rounds = quick ? 200 : 1000
  // The default executor (one transaction to execute) and a host's (two) alternate, on entities
  // of their own, as in the Rust runner.
  const executors = [['lifecycle', null], ['lifecycle_host_executor', hostExecutor]]
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < executors.length; k++) await register(e, ids[(i + k * 2500) % ENTITIES], `7.${i}.${k}`)
  }
  const spentBy = executors.map(() => 0)
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < executors.length; k++) {
      started = now()
      await lifecycle(e, ids[(i + k * 2500) % ENTITIES], `7.${i}.${k}`, executors[k][1])
      spentBy[k] += now() - started
    }
  }
  executors.forEach(([name], k) => report(name, rounds, spentBy[k]))

  let spent = 0
  for (let i = 0; i < rounds / 2; i++) {
    await register(e, ids[(i + 5000) % ENTITIES], `8.${i}.0`)
    const d = await lifecycle(e, ids[(i + 5000) % ENTITIES], `8.${i}.0`)
    started = now()
    await e.rollback(P, d, admin('alice'), { reason: 'bench' })
    spent += now() - started
  }
  report('rollback', rounds / 2, spent)
  // Peak resident memory of the whole run (maxRSS is in KiB), to compare across history sizes.
  console.log(`node peak_rss_mib ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} 0`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
