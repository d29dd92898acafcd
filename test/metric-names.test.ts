// The metric families tsdns exports, with their types and label names, are exactly what CoreDNS
// documents for the plugins in use (test/metric-names.txt), so dashboards and alerts written for
// CoreDNS find every series they query and nothing is renamed behind their back.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
// order.ts imports every plugin, which registers its families
import { isCoreDnsDirective, plugins } from '../plugins/order.ts'
import { registry } from '../src/plugin/metrics.ts'

/** Section → family name → "type label,label" (labels sorted: their order means nothing). */
function documented(): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>()
  let current: Map<string, string> | undefined
  const text = readFileSync(new URL('metric-names.txt', import.meta.url), 'utf8')
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    const section = /^\[(\w+)\]$/.exec(line)
    if (section) {
      sections.set(section[1]!, (current = new Map()))
      continue
    }
    const [name, type, labels, extra] = line.split(/\s+/)
    assert.ok(
      current && name && type && labels && extra === undefined,
      `metric-names.txt:${i + 1}: ${raw}`,
    )
    current.set(name, signature(type, labels === '-' ? [] : labels.split(',')))
  }
  return sections
}

function signature(type: string, labels: readonly string[]): string {
  return `${type} ${[...labels].sort().join(',')}`
}

test('every section is the runtime or a CoreDNS plugin', () => {
  for (const section of documented().keys()) {
    assert.ok(section === 'runtime' || isCoreDnsDirective(section), `unknown section [${section}]`)
  }
})

test('exported families equal the documented ones of the registered plugins', async () => {
  const sections = documented()
  const expected = new Map<string, string>()
  for (const name of ['runtime', ...plugins.keys()]) {
    for (const [family, sig] of sections.get(name) ?? []) expected.set(family, sig)
  }
  const exported = new Map<string, string>()
  // prom-client types these as plain objects; they are the metrics themselves (ours and its own).
  type Exported = {
    get(): Promise<{ name: string; type: unknown }>
    labelNames?: readonly string[]
  }
  for (const m of registry.getMetricsAsArray() as unknown as Exported[]) {
    const { name, type } = await m.get()
    exported.set(name, signature(String(type), m.labelNames ?? []))
  }
  const missing = [...expected]
    .filter(([f, sig]) => exported.get(f) !== sig)
    .map(([f, sig]) => `${f} ${sig}`)
  const extra = [...exported]
    .filter(([f, sig]) => expected.get(f) !== sig)
    .map(([f, sig]) => `${f} ${sig}`)
  assert.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    'exported families differ from test/metric-names.txt (fix the plugin, or list and source)',
  )
})
