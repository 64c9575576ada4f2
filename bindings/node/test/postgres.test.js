'use strict'
// The PostgreSQL store through the Node face: `Engine.open` takes a `postgres://` URL. Runs when
// DEPLOYGOV_TEST_POSTGRES_URL is set (scripts/postgres.sh starts a throwaway server).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const { Engine } = require('deploygov')

const base = process.env.DEPLOYGOV_TEST_POSTGRES_URL
const skip = base ? false : 'DEPLOYGOV_TEST_POSTGRES_URL is not set (scripts/postgres.sh starts a server)'

test('Engine.open takes a postgres:// URL', { skip }, async () => {
  // A schema of its own (created on open), so no other test's project `japm` is seen.
  const url = `${base}${base.includes('?') ? '&' : '?'}options=-csearch_path%3Dnode_${crypto.randomUUID().replaceAll('-', '')}`
  const alice = { id: 'alice', roles: ['admin'] }
  const item = { entity_type: 'prompt_version', entity_id: 'chatbot', version_tag: '1.0.0' }
  const e = await Engine.open(url)
  await e.createProject('japm', 'acme', 'JAPM', alice)
  await e.createEnvironment('japm', { name: 'development' }, alice)
  await e.registerVersion('japm', item, alice)
  const d = await e.requestDeployment('japm', { environment: 'development', name: 'pg', items: [item] }, alice)
  assert.equal((await e.execute('japm', d.id, alice)).status, 'deployed')

  // A second engine on the same URL (another instance of a service) sees the same state.
  const again = await Engine.open(url)
  const live = again.activeVersionSync('japm', 'development', 'prompt_version', 'chatbot')
  assert.deepEqual([live.version_tag, live.deployment_id], ['1.0.0', d.id])
  assert.ok((await again.verifyAudit()).entries > 5)

  // An unreachable server is a storage error, not a SQLite file named like the URL.
  await assert.rejects(Engine.open('postgres://nobody@127.0.0.1:1/none'), (err) => err.code === 'STORAGE')
  assert.equal(fs.existsSync('postgres://nobody@127.0.0.1:1/none'), false)
})
