// The layout rules docs/architecture.md states, checked on the source: plugins share code only
// through src/ (src/dns, src/plugin, src/wire), never by importing another plugin's files, and
// no module imports itself back through others (a cycle, type-only or not).

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'

const ROOT = resolve(import.meta.dirname, '..')

/** Every .ts file under `dir` (relative to the repository), node_modules and dist left out. */
function sources(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') out.push(...sources(path))
    } else if (e.name.endsWith('.ts')) {
      out.push(path)
    }
  }
  return out
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*\(?\s*['"](\.[^'"]+)['"]/g

/** The repository-relative files `file` imports by relative path (type-only imports included). */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    out.push(relative(ROOT, resolve(ROOT, dirname(file), (m[1] ?? m[2])!)))
  }
  return out
}

const files = [...sources('src'), ...sources('plugins')]
const graph = new Map(files.map((f) => [f, imports(f)]))

/** The plugin folder a path is in, or undefined outside plugins/<name>/. */
function pluginOf(path: string): string | undefined {
  const parts = path.split('/')
  return parts[0] === 'plugins' && parts.length > 2 ? parts[1] : undefined
}

test('a plugin imports no other plugin\'s files (plugins/order.ts registers every setup.ts)', () => {
  const bad: string[] = []
  for (const [file, deps] of graph) {
    const own = pluginOf(file)
    if (own === undefined && file !== 'plugins/order.ts') continue
    for (const dep of deps) {
      const other = pluginOf(dep)
      if (other === undefined || other === own) continue
      if (file === 'plugins/order.ts' && dep === `plugins/${other}/setup.ts`) continue
      bad.push(`${file} imports ${dep}`)
    }
  }
  assert.deepEqual(bad, [], 'share it through src/dns (or src/plugin, src/wire) instead')
})

test('no import cycles among src/ and plugins/', () => {
  // Tarjan's strongly connected components: any with two or more files is a cycle.
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[] = []
  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
    }
    if (low.get(v) !== index.get(v)) return
    const scc: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      scc.push(w)
    } while (w !== v)
    if (scc.length > 1) cycles.push(scc.sort().join(' <-> '))
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  assert.deepEqual(cycles, [])
})

test('the checks see the imports they judge', () => {
  // A parser that found nothing would pass both tests above.
  assert.ok(graph.get('plugins/order.ts')!.includes('plugins/cache/setup.ts'))
  assert.ok(graph.get('plugins/hosts/hosts.ts')!.includes('src/dns/answer.ts'))
})
