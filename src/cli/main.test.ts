// What a start loads before its DNS listeners open: every static import of the command line, but
// not fastify or prom-client (~100 ms of a start), which load once DNS answers. And the compile
// cache the entry point turns on, which must never keep tsdns from starting.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { makeTempDir, removeTempDir } from '../../test/helpers/tmp.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const main = join(root, 'src/cli/main.ts')

// In a fresh process: the packages in require.cache (CommonJS, imported from ESM too) after the
// command line's imports, then after the HTTP side and the registry opened as a start does.
const probe = `
import { createRequire } from 'node:module'
const cache = createRequire(import.meta.url).cache
const packages = () => [...new Set(Object.keys(cache)
  .map((k) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k)?.[1]).filter(Boolean))]
await import('./src/cli/cli.ts')
const imported = packages()
const { registry } = await import('./src/plugin/metrics.ts')
const { HttpEndpoints, closeRetiredListeners } = await import('./src/server/http.ts')
registry.load()
const e = new HttpEndpoints()
e.route('127.0.0.1:0', '/ready', () => ({ status: 200, body: 'OK' }))
await e.start()
e.retire()
await closeRetiredListeners()
console.log(JSON.stringify({ imported, started: packages() }))
`

test('fastify and prom-client are not among the modules a start loads before DNS answers', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: root,
    timeout: 30_000,
    encoding: 'utf8',
  })
  const { imported, started } = JSON.parse(out) as { imported: string[]; started: string[] }
  assert.ok(imported.includes('dns-packet'), `CommonJS packages are seen: ${imported.join(' ')}`)
  assert.ok(!imported.includes('fastify'), 'fastify loads when the first HTTP listener opens')
  assert.ok(!imported.includes('prom-client'), 'prom-client loads when the registry is first used')
  assert.ok(started.includes('fastify') && started.includes('prom-client'), started.join(' '))
  assert.ok(!started.includes('ajv'), 'no route takes a schema: fastify needs no validator')
})

test('the compile cache goes under os.tmpdir(); an unusable directory only means no cache', (t) => {
  const dir = makeTempDir('compile-cache')
  t.after(() => removeTempDir(dir))
  const version = (env: NodeJS.ProcessEnv) => {
    const { NODE_COMPILE_CACHE: _, ...rest } = process.env
    return execFileSync(process.execPath, [main, '-version'], {
      env: { ...rest, ...env },
      timeout: 30_000,
      encoding: 'utf8',
    })
  }
  const banner = version({ TMPDIR: dir })
  assert.match(banner, /^tsdns-/)
  const cache = readdirSync(join(dir, 'node-compile-cache'), { recursive: true })
  assert.ok(cache.length > 50, `${cache.length} entries in the cache`)
  writeFileSync(join(dir, 'file'), '')
  assert.equal(version({ NODE_COMPILE_CACHE: join(dir, 'file', 'cache') }), banner)
  assert.equal(version({ TMPDIR: join(dir, 'file') }), banner)
})
