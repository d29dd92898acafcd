// The image, built from what manifests/Dockerfile says (no container engine runs here): each
// stage's COPY sources copied into a directory of its own, filtered by the .dockerignore, its npm
// and test commands run, the runtime assembled from the COPY --from lines, then started with the
// ENTRYPOINT's command and asked a query. A layout the Dockerfile cannot build (a product file
// importing test/, a native helper not copied) fails here. Needs the npm registry and a C
// compiler, so it is in npm run test:system.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, globSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { test } from 'node:test'
import { buildQuery, freePort, makeTempDir, removeTempDir, sleep, spawnChild, udpQuery }
  from './helpers/index.ts'
import { stages } from './helpers/dockerfile.ts'

const root = join(import.meta.dirname, '..')
const read = (p: string): string => readFileSync(join(root, p), 'utf8')

/** The .dockerignore's `**\/NAME` exclusions (the only kind it uses besides the allow-list). */
function ignored(): RegExp[] {
  return read('manifests/Dockerfile.dockerignore').split('\n').map((l) => l.trim())
    .filter((l) => l.startsWith('**/'))
    .map((l) => new RegExp(`^${l.slice(3).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`))
}

/**
 * Each `&&`-separated command of a RUN that builds or checks (npm ci/run, test -f, the snapshot
 * blob made by node), its /app paths in the stage's directory.
 */
function commands(run: string, here: string): string[] {
  return run.split('&&').map((c) => c.trim())
    .filter((c) => /^npm (ci|run) /.test(c) || c.startsWith('test -f ') ||
      /^(NODE_NO_WARNINGS=1 )?node (--\S+ )*--snapshot-blob /.test(c))
    .map((c) => c.replaceAll('/app/', `${here}/`))
}

test('the image builds from exactly what the Dockerfile copies, and its ENTRYPOINT answers', async (t) => {
  const { stages: st } = stages(read('manifests/Dockerfile'))
  const dir = makeTempDir('tsdns-image')
  t.after(() => removeTempDir(dir))
  const skip = ignored()
  const stageDir = (name: string) => join(dir, name)
  for (const stage of st) {
    const here = stageDir(stage.name)
    mkdirSync(here, { recursive: true })
    for (const { op, args } of stage.instructions) {
      if (op === 'COPY') {
        const words = args.split(/\s+/)
        const from = words[0]!.startsWith('--from=') ? words.shift()!.slice(7) : undefined
        const dest = join(here, words.pop()!.replace(/^\/app\/?/, ''))
        for (const src of words) {
          const path = from ? join(stageDir(from), src.replace(/^\/app\//, '')) : join(root, src)
          assert.ok(existsSync(path), `${stage.name}: COPY ${src}: not there`)
          // into a directory when the destination says so (several sources, or a trailing '/')
          const target = words.length > 1 || dest.endsWith('/') ? join(dest, basename(src)) : dest
          mkdirSync(dirname(target), { recursive: true })
          cpSync(path, target, { recursive: true,
            filter: (p) => from !== undefined || !skip.some((re) => re.test(basename(p))) })
        }
      } else if (op === 'RUN') {
        for (const cmd of commands(args, here)) {
          try {
            execFileSync('sh', ['-c', cmd], { cwd: here, stdio: 'pipe', timeout: 300_000 })
          } catch (err) {
            const e = err as { stdout?: Buffer; stderr?: Buffer }
            assert.fail(`${stage.name}: RUN ${cmd} failed:\n${String(e.stdout ?? '')}${String(e.stderr ?? '')}`)
          }
        }
      }
    }
  }
  const runtime = stageDir('runtime')
  const product = globSync('dist/**/*.js', { cwd: runtime })
  assert.ok(product.length > 0, 'no dist in the runtime')
  const testCode = product.filter((f) => /testkit|\.test\.js$/.test(f) ||
    /from '(\.\.\/)+test\//.test(readFileSync(join(runtime, f), 'utf8')))
  assert.deepEqual(testCode, [], 'test code in the image')

  const entry = st.at(-1)!.instructions.filter((i) => i.op === 'ENTRYPOINT').at(-1)!.args
  const [node, ...flags] = (JSON.parse(entry) as string[])
    .map((a) => a.replace(/^\/app\//, `${runtime}/`))
  assert.equal(node, 'node')
  const port = await freePort('both')
  const conf = join(dir, 'Corefile')
  writeFileSync(conf, `.:${port} {\n    bind 127.0.0.1\n    whoami\n}\n`)
  const child = spawnChild('image', process.execPath, [...flags, '-conf', conf], { cwd: runtime })
  t.after(() => child.stop('SIGTERM', 3000))
  let reply: Buffer | undefined
  for (let i = 0; i < 50 && reply === undefined && child.status() === undefined; i++) {
    reply = await udpQuery('127.0.0.1', port, buildQuery('image.example.org'), { timeoutMs: 200 })
      .catch(() => undefined) // ECONNREFUSED until it listens
    if (reply === undefined) await sleep(100)
  }
  assert.ok(reply, `no answer from the image's command:\n${child.tail(20)}`)
  assert.equal(reply[3]! & 0x0f, 0)
  // the SIGUSR1 helper came along: no warning that only the reload plugin reloads
  assert.ok(!child.stdout().some((l) => l.includes('SIGUSR1 cannot reload')), child.tail(20))
})
