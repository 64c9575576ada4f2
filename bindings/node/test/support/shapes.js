'use strict'
// Checks JSON values against the interfaces declared in index.d.ts, with the TypeScript checker:
// `unknownMembers` lists members a type does not declare (the scenario runner's strictness, as
// the Rust runner gets from a serde round trip), and `assertShape` also wants every required
// member, so the tests catch any drift between the hand-written header and the core's output.

const path = require('node:path')
const assert = require('node:assert/strict')
const ts = require('typescript')

const file = path.join(__dirname, '..', '..', 'index.d.ts')
let cache = null

function load() {
  if (cache) return cache
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [] })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)
  const symbols = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(source)).map((s) => [s.name, s]))
  cache = { checker, symbols }
  return cache
}

function typeNamed(name) {
  const { checker, symbols } = load()
  const symbol = symbols.get(name)
  if (!symbol) throw new Error(`index.d.ts declares no \`${name}\``)
  return checker.getDeclaredTypeOfSymbol(symbol)
}

/** The object-like members of `type` (nullish members of a union removed). */
function candidates(type) {
  const { checker } = load()
  const t = checker.getNonNullableType(type)
  return t.isUnion() ? t.types : [t]
}

/** Whether `type` is free JSON (any, unknown, an index signature or `JsonValue`). */
function isFree(type) {
  const { checker } = load()
  return candidates(type).some(
    (t) => t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) || checker.getIndexInfoOfType(t, ts.IndexKind.String),
  )
}

function arrayElement(type) {
  const { checker } = load()
  for (const t of candidates(type)) {
    const info = checker.getIndexInfoOfType(t, ts.IndexKind.Number)
    if (info) return info.type
  }
  return null
}

/**
 * The member of a union of object types that `value` is (a tagged union such as `FreezeSchedule`
 * or `Completion`): those whose string-literal members (the tag) agree with `value`, then the one
 * declaring most of `value`'s keys; the first on a tie.
 */
function pick(objects, value) {
  const { checker } = load()
  const agrees = (t) =>
    checker.getPropertiesOfType(t).every((prop) => {
      const pt = checker.getTypeOfSymbol(prop)
      return !pt.isStringLiteral() || !(prop.name in value) || value[prop.name] === pt.value
    })
  const tagged = objects.filter(agrees)
  const pool = tagged.length ? tagged : objects
  const unknown = (t) => Object.keys(value).filter((k) => !checker.getPropertyOfType(t, k)).length
  return pool.reduce((best, t) => (best === undefined || unknown(t) < unknown(best) ? t : best), undefined)
}

function walk(type, value, at, out, exact) {
  const { checker } = load()
  if (value === null || typeof value !== 'object' || isFree(type)) return
  if (Array.isArray(value)) {
    const element = arrayElement(type)
    if (element) value.forEach((v, i) => walk(element, v, `${at}.${i}`, out, exact))
    return
  }
  const objectType = pick(candidates(type).filter((t) => t.flags & ts.TypeFlags.Object && !arrayElement(t)), value)
  if (!objectType) return
  for (const [key, v] of Object.entries(value)) {
    const prop = checker.getPropertyOfType(objectType, key)
    if (!prop) {
      out.push(`unknown member \`${at}.${key}\``)
      continue
    }
    walk(checker.getTypeOfSymbol(prop), v, `${at}.${key}`, out, exact)
  }
  if (exact) {
    for (const prop of checker.getPropertiesOfType(objectType)) {
      if (!(prop.flags & ts.SymbolFlags.Optional) && !(prop.name in value)) out.push(`missing member \`${at}.${prop.name}\``)
    }
  }
}

/** Members of `value` that the type `name` (of index.d.ts) does not declare. */
function unknownMembers(name, value, at = name) {
  const out = []
  walk(typeNamed(name), value, at, out, false)
  return out
}

/** `value` has exactly the members of the type `name`: nothing unknown, nothing required missing. */
function assertShape(name, value) {
  const out = []
  walk(typeNamed(name), value, name, out, true)
  assert.deepEqual(out, [], `${name} does not match index.d.ts`)
}

module.exports = { unknownMembers, assertShape }
