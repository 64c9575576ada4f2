'use strict'
// Docs are tests: the README's quickstart runs exactly as written, as an ES module.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

test('the README quickstart runs', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quickstart'))
  const match = section.match(/```js\n([\s\S]*?)```/)
  assert.ok(match, 'README.md has a ```js block under ## Quickstart')
  // Inside the package folder, so `import ... from 'deploygov'` resolves to this package.
  const file = path.join(__dirname, `.readme-quickstart-${process.pid}.mjs`)
  fs.writeFileSync(file, match[1])
  try {
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' })
    assert.equal(out, 'activate greeter@1.0.0\n')
  } finally {
    fs.rmSync(file, { force: true })
  }
})
