// The production build (`npm run build`; not part of tsdns itself): esbuild bundles main.ts and
// every module it reaches, npm dependencies included, into dist/cli/: main.js and the chunks it
// imports on demand, minified and tree-shaken, source maps beside them. A few files instead of
// some 600 modules is less to resolve, compile and keep: start to first answer 319-347 -> 212-276
// ms, RSS at start 89 -> 76 MiB (docs/sizing.md). Stack traces name minified functions unless
// Node runs with --enable-source-maps (not by default: it keeps the maps in memory, 10-19 MiB).
//
// It builds tsdns twice from the same sources: dist/cli/main.js (ES modules and chunks, the bin,
// `npm start`) and dist/cli/snapshot.cjs, one CommonJS file that `node --build-snapshot` runs into
// dist/tsdns.blob, the V8 start-up snapshot the image starts from (snapshot.ts): start to first
// answer ~80 ms instead of ~130 (docs/sizing.md, "Start").
//
// Loaders written for unbundled runs are handed to esbuild instead:
// - a literal `createRequire(import.meta.url)('pkg')` (prom-client, loaded on first use) becomes
//   `require('pkg')`, which esbuild bundles and still evaluates only when first called;
// - so does every `require('./x')` of a module declaring `const require = createRequire(...)`
//   (plugins/order.ts: each plugin's setup.ts, evaluated when a Corefile first names it);
// - corefile/chevrotain.ts imports chevrotain's one-file build by URL to skip its 200 modules at
//   every unbundled start; here chevrotain is bundled and tree-shaken like any package.
// Everything else that is loaded at run time by path (the native SIGUSR1 helper, package.json)
// is found relative to the output file: dist/cli/ is two levels under the package root, as
// src/cli/ is.
//
// Usage: node src/cli/bundle.ts [OUTDIR, default dist]

import { execFileSync } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { builtinModules, createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions, type Plugin } from 'esbuild'

/**
 * The node flags the blob is made with, here and in the Dockerfile's RUN (manifests.test.ts holds
 * the two together). --stress-flush-code: the blob keeps no bytecode of what ran only while it
 * was made (the modules' set-up, the Corefile parser's construction); a start compiles again what
 * it runs of it. 12.4 -> 10.5 MB of blob, 2-4 MiB less RSS, the same start (docs/sizing.md).
 */
const SNAPSHOT_FLAGS = ['--stress-flush-code']

const root = fileURLToPath(new URL('../..', import.meta.url))
const outdir = process.argv[2] ?? join(root, 'dist')

const LAZY_REQUIRE = /createRequire\(import\.meta\.url\)\((['"][^'"]+['"])\)/g
const OWN_REQUIRE = /^const require = createRequire\(import\.meta\.url\)\n/m
/** tsdns's own sources, not a dependency's. */
const OWN_SOURCE = new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(src|plugins)/.*\\.ts$`)

const unbundledLoaders: Plugin = {
  name: 'unbundled-loaders',
  setup(b) {
    b.onLoad({ filter: /[/\\]src[/\\]corefile[/\\]chevrotain\.ts$/ }, () => ({
      contents: `export * from 'chevrotain'`,
      loader: 'ts',
      resolveDir: join(root, 'src/corefile'),
    }))
    b.onLoad({ filter: OWN_SOURCE }, async ({ path }) => {
      const text = await readFile(path, 'utf8')
      const contents = text.replace(LAZY_REQUIRE, 'require($1)').replace(OWN_REQUIRE, '')
      return contents === text ? undefined : { contents, loader: 'ts' }
    })
  },
}

/**
 * Node's own modules through require(), never an ESM import: importing one as ESM makes Node read
 * every export to build the namespace, which runs the module's lazy getters: `import 'node:http'`
 * loads 113 modules (tls, http2, zlib, worker_threads, undici through http.WebSocket...) where
 * require('node:http') loads 38. Each import becomes a CommonJS wrapper whose require the banner
 * below provides; esbuild's interop reads an export only when it is used.
 *
 * The heaviest ones load on first use instead, whoever imports or requires them: tsdns imports tls
 * and http2 for DoT, DoH and the tls plugin, fastify requires https and http2 at load for options
 * tsdns never sets, and loading them costs some 10 MiB of RSS (OpenSSL and nghttp2 set up) in a
 * process that may never use them. Their wrapper is a proxy that lists the module's export names
 * (taken here, from the Node that builds) and requires it when one is first read.
 */
const BUILTIN = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`)
const ON_FIRST_USE = new Set(['http', 'http2', 'https', 'tls', 'zlib'])
const requireBuiltin = createRequire(import.meta.url)
/**
 * Constant tables read as a module loads, served without loading it: fastify reads
 * http.STATUS_CODES when it loads, and loading node:http would keep it out of the snapshot.
 */
const DATA: Record<string, readonly string[]> = { http: ['STATUS_CODES', 'METHODS'] }

function wrapper(path: string): string {
  const id = JSON.stringify(path)
  const name = path.replace(/^node:/, '')
  if (!ON_FIRST_USE.has(name)) return `module.exports = require(${id})`
  const mod = requireBuiltin(path) as Record<string, unknown>
  const names = JSON.stringify(Object.keys(mod))
  const data = JSON.stringify(Object.fromEntries((DATA[name] ?? []).map((k) => [k, mod[k]])))
  return `let m; const names = ${names}; const data = ${data}; const load = () => (m ??= require(${id}))
module.exports = new Proxy({}, {
  get: (_, k) => Object.hasOwn(data, k) ? data[k] : load()[k],
  has: (_, k) => k in load(),
  ownKeys: () => names,
  getOwnPropertyDescriptor: (_, k) => names.includes(k)
    ? { configurable: true, enumerable: true, get: () => load()[k] } : undefined,
})`
}

const builtins: Plugin = {
  name: 'builtins',
  setup(b) {
    b.onResolve({ filter: BUILTIN }, ({ path, namespace }) => namespace === 'builtin'
      ? { path, external: true } // the wrapper's own require
      : { path, namespace: 'builtin' })
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => ({ contents: wrapper(path), loader: 'js' }))
  },
}

// chunk names carry a content hash: the last build's files would stay beside the new ones
await rm(join(outdir, 'cli'), { recursive: true, force: true })
const common: BuildOptions = {
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node22',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  plugins: [unbundledLoaders, builtins],
  logLevel: 'warning',
}
await build({
  ...common,
  entryPoints: { 'cli/main': join(root, 'src/cli/main.ts') },
  // what main.ts imports dynamically gets a file of its own (cli.ts, fastify, node-cache), loaded
  // when first imported: Node's compile cache, turned on by main.ts, covers everything after it,
  // and a Corefile without HTTP endpoints never parses fastify. Chunks stay in cli/ beside main.js
  // for the paths resolved from import.meta.url.
  splitting: true,
  chunkNames: 'cli/[name]-[hash]',
  format: 'esm',
  // the bundled CommonJS packages require Node's own modules: give them a real require
  banner: { js: `import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);` },
})
// The image's entry (snapshot.ts): one CommonJS file, all that a snapshot build can run, whose
// import.meta.url is its own path (package.json and the SIGUSR1 helper are found from it).
await build({
  ...common,
  entryPoints: { 'cli/snapshot': join(root, 'src/cli/snapshot.ts') },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  define: { 'import.meta.url': '__tsdnsUrl' },
  banner: { js: `var __tsdnsUrl = require('node:url').pathToFileURL(__filename).href;` },
})
// The blob works only with the node that made it: this one here; the image makes its own with the
// node it runs (manifests/Dockerfile). Node warns that some modules tsdns uses (dgram, module) are
// "not yet fully verified" in a snapshot: snapshot.test.ts checks what tsdns needs of them.
execFileSync(process.execPath,
  [...SNAPSHOT_FLAGS, '--snapshot-blob', join(outdir, 'tsdns.blob'), '--build-snapshot', join(outdir, 'cli/snapshot.cjs')],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_NO_WARNINGS: '1' } })
