// The layout rules docs/architecture.md states, checked on the source: plugins share code only
// through src/ (src/dns, src/plugin, src/wire), never by importing another plugin's files, no
// module imports itself back through others (a cycle, type-only or not), and no product module
// exports a value nothing else imports.

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

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:import|require)\s*\(?\s*['"](\.[^'"]+)['"]/g

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

/** `export const|let|function|class|enum NAME`: the values a module offers; types are left out,
 * being the vocabulary of the signatures that use them. */
const EXPORTED_VALUE =
  /^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:const|let|function\*?|class|enum)\s+([\w$]+)/gm
/** `import D, { a, b as c } from '.'`, `import * as n from '.'`, `export { a } from '.'`,
 * `export * from '.'`, `import('.')`, `require('.')`: default in 1, list in 2 or 4, module in 3, 5 or 6. */
const USE = new RegExp(
  [
    String.raw`\bimport\s+(?:type\s+)?([\w$]+\s*,?\s*)?(\{[^}]*\}|\*\s+as\s+[\w$]+)?\s*from\s*['"](\.[^'"]+)['"]`,
    String.raw`\bexport\s+(?:type\s+)?(\{[^}]*\}|\*)\s*from\s*['"](\.[^'"]+)['"]`,
    String.raw`\b(?:import|require)\s*\(\s*['"](\.[^'"]+)['"]`,
  ].join('|'),
  'g',
)

/** file → the names other files import from it ('*' for all of them), tests and benches included. */
function importedNames(): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>()
  for (const file of [...files, ...sources('test'), ...sources('bench')]) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(USE)) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), (m[3] ?? m[5] ?? m[6])!))
      const names = used.get(target) ?? new Set<string>()
      used.set(target, names)
      const list = m[2] ?? m[4]
      if (m[6] !== undefined || list === undefined || !list.startsWith('{')) {
        if (m[1] !== undefined && list === undefined) names.add('default')
        else names.add('*')
        continue
      }
      if (m[1] !== undefined) names.add('default')
      for (const item of list.slice(1, -1).split(',')) {
        const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!
        if (name !== '') names.add(name)
      }
    }
  }
  return used
}

test('every value a product module exports is imported somewhere (its own test counts)', () => {
  const used = importedNames()
  const dead: string[] = []
  for (const file of files) {
    if (file.endsWith('.test.ts')) continue
    const names = used.get(file) ?? new Set()
    if (names.has('*')) continue
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(EXPORTED_VALUE)) {
      if (!names.has(m[1]!)) dead.push(`${file}: ${m[1]}`)
    }
  }
  assert.deepEqual(dead, [], 'drop the export (or the code, when nothing in its file uses it)')
})

test('the checks see the imports they judge', () => {
  // A parser that found nothing would pass the tests above.
  assert.ok(graph.get('plugins/order.ts')!.includes('plugins/cache/setup.ts'))
  assert.ok(graph.get('plugins/hosts/hosts.ts')!.includes('src/dns/answer.ts'))
  const used = importedNames()
  assert.ok(used.get('plugins/any/setup.ts')!.has('default'))
  assert.ok(used.get('src/plugin/rrtype.ts')!.has('Type'))
})
