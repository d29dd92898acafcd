// The command line as an operator uses it: CoreDNS's flags, and check / fmt / query.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { dig, freePort, startTsdns, TSDNS_MAIN } from '../helpers/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'tsdns-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [TSDNS_MAIN, ...args], { encoding: 'utf8', input, timeout: 20_000, cwd: dir })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

test('-version and -plugins', () => {
  const v = run(['-version'])
  assert.equal(v.code, 0)
  assert.match(v.out, /^tsdns-\d+\.\d+\.\d+\nlinux\/\w+, node v24\./)
  const p = run(['-plugins'])
  assert.equal(p.code, 0)
  const names = p.out.trim().split('\n')
  assert.ok(names.includes('whoami') && names.includes('bind'))
  assert.deepEqual(names, [...names].sort())
})

test('bad flags and extra arguments exit 2 with usage', () => {
  const r = run(['-nope'])
  assert.equal(r.code, 2)
  assert.match(r.err, /flag provided but not defined: -nope/)
  assert.equal(run(['extra']).code, 2)
})

test('check: every error with file:line:col, the line and a caret; exit 1', () => {
  const bad = join(dir, 'bad.Corefile')
  writeFileSync(bad, '. {\n    whoami extra\n    nosuchplugin\n}\n')
  const good = join(dir, 'good.Corefile')
  writeFileSync(good, '. {\n    whoami\n}\n')
  const r = run(['check', good, bad])
  assert.equal(r.code, 1)
  assert.match(r.out, /good\.Corefile: ok/)
  assert.match(r.err, /bad\.Corefile:2:12 - plugin\/whoami: .*\n 2 \|     whoami extra\n   \|            \^{5}/)
  assert.match(r.err, /bad\.Corefile:3:5 - unknown directive 'nosuchplugin'\n 3 \|     nosuchplugin\n   \|     \^{12}/)
  assert.equal(run(['check', good]).code, 0)
})

test('an import glob matching nothing is a warning in CoreDNS\'s words, not an error', () => {
  const file = join(dir, 'glob.Corefile')
  writeFileSync(file, '. {\n    import custom/*.override\n    whoami\n}\n')
  const r = run(['check', file])
  assert.equal(r.code, 0)
  assert.match(r.out, /^\[WARNING\] No files matching import glob pattern: custom\/\*\.override \(.*glob\.Corefile:2:12\)$/m)
})

test('SIGQUIT quits at once (no lameduck), removing the pid file, as caddy does', async (t) => {
  const port = await freePort('both')
  const hport = await freePort('tcp')
  const srv = await startTsdns(
    `.:${port} {\n    bind 127.0.0.1\n    health 127.0.0.1:${hport} {\n        lameduck 20s\n    }\n    whoami\n}\n`,
  )
  t.after(() => srv.stop('SIGKILL'))
  assert.ok(existsSync(srv.pidPath))
  srv.proc.kill('SIGQUIT')
  const exit = await srv.child.waitExit(10_000)
  assert.ok(exit, 'SIGQUIT waited for the 20 s lameduck')
  assert.equal(srv.status()?.code, 0)
  assert.ok(srv.stdout().includes('[INFO] SIGQUIT: Quitting process immediately'))
  assert.ok(!existsSync(srv.pidPath), 'the pid file is removed')
})

test('a bad Corefile at start exits non-zero with the located error', () => {
  const r = run(['-conf', 'stdin'], '. {\n    whoami {\n}\n')
  assert.notEqual(r.code, 0)
  assert.match(r.err, /^stdin:\d+:\d+ - /m)
})

test('fmt prints the canonical layout; -w rewrites; idempotent', () => {
  const f = join(dir, 'messy.Corefile')
  writeFileSync(f, '# top\n.:1053   {\n  bind    127.0.0.1 # lo\n      whoami\n}\n')
  const once = run(['fmt', f])
  assert.equal(once.code, 0)
  assert.match(once.out, /# top/)
  assert.match(once.out, /# lo/)
  assert.match(once.out, /^ {4}whoami$/m)
  assert.equal(run(['fmt', '-w', f]).code, 0)
  assert.equal(readFileSync(f, 'utf8'), once.out)
  assert.equal(run(['fmt', f]).out, once.out)
})

test('query runs the chain in process and names the plugin that answered', () => {
  const f = join(dir, 'q.Corefile')
  writeFileSync(f, 'example.org:1053 {\n    whoami\n}\n')
  const r = run(['query', '-conf', f, '-dns.port', '1053', 'www.example.org', 'AAAA'])
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /status: NOERROR/)
  assert.match(r.out, /answered by: whoami/)
  assert.match(r.out, /_udp\.www\.example\.org\.\t0\tIN\tSRV\t0 0 0 \./)
  const refused = run(['query', '-conf', f, '-dns.port', '1053', 'example.net'])
  assert.equal(refused.code, 1)
})

test('two tsdns processes serve one address (reusePort): handover and HA pairs', async (t) => {
  const port = await freePort('both')
  const conf = `.:${port} {\n    bind 127.0.0.1\n    whoami\n}\n`
  const a = await startTsdns(conf)
  t.after(() => a.stop())
  const b = await startTsdns(conf)
  t.after(() => b.stop())
  assert.equal((await dig({ port, name: 'example.org' })).status, 'NOERROR')
  assert.equal(await a.stop(), 0, 'SIGTERM exits 0')
  for (let i = 0; i < 20; i++) {
    assert.equal((await dig({ port, name: `n${i}.example.org` })).status, 'NOERROR', 'the other one serves')
  }
})
