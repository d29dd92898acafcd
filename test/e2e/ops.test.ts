// Operations: a forwarding loop stops the process with a clear message; bind serves only where
// it is told to.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { buildQuery, dig, freePort, startTsdns, TSDNS_MAIN, udpQuery } from '../helpers/index.ts'

/** Starts `B -> A` then A (with loop, `A -> B`); resolves with A's exit code and output. */
async function loopPair(t: TestContext): Promise<{ a: number; code: number | null; out: string }> {
  const [a, b] = [await freePort('both'), await freePort('both')]
  // B first: were A up alone, its probe would get a SERVFAIL back and loop would stand down.
  const other = await startTsdns(`.:${b} {\n    bind 127.0.0.1\n    forward . 127.0.0.1:${a}\n}\n`)
  t.after(() => other.stop())
  const dir = mkdtempSync(join(tmpdir(), 'tsdns-loop-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'Corefile'), `.:${a} {\n    bind 127.0.0.1\n    loop\n    forward . 127.0.0.1:${b}\n}\n`)
  const proc = spawn(process.execPath, [TSDNS_MAIN, '-conf', join(dir, 'Corefile')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (d: Buffer) => (out += d))
  proc.stderr.on('data', (d: Buffer) => (out += d))
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      resolve(null)
    }, 15_000)
    proc.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  return { a, code, out }
}

test('loop: two tsdns forwarding to each other; the one with loop exits naming the zone', async (t) => {
  let run = await loopPair(t)
  // A free port can be taken by another process before A binds it: try again with new ones.
  for (let i = 0; i < 2 && run.out.includes('EADDRINUSE'); i++) run = await loopPair(t)
  const { a, code, out } = run
  assert.equal(code, 1, `exit code 1 expected; output:\n${out}`)
  assert.match(
    out,
    new RegExp(`\\[FATAL\\] plugin/loop: Loop \\(127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${a}\\) detected for zone "\\.", see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: "HINFO \\d+\\.\\d+\\."`),
  )
})

test('bind 127.0.0.2 and ::1: answers there, nothing on 127.0.0.1', async (t) => {
  const port = await freePort('both', '127.0.0.2')
  const ts = await startTsdns(`.:${port} {\n    bind 127.0.0.2 ::1\n    whoami\n}\n`)
  t.after(() => ts.stop())
  assert.equal((await dig({ server: '127.0.0.2', port, name: 'example.org' })).status, 'NOERROR')
  assert.equal((await dig({ server: '::1', port, name: 'example.org', opts: ['+tcp'] })).status, 'NOERROR')
  const silent = await udpQuery('127.0.0.1', port, buildQuery('example.org'), { timeoutMs: 500, connect: false })
  assert.equal(silent, undefined, 'no UDP answer from 127.0.0.1')
  const tcp = await dig({ server: '127.0.0.1', port, name: 'example.org', opts: ['+tcp'] })
  assert.notEqual(tcp.status, 'NOERROR', 'TCP on 127.0.0.1 is not served either')
  await ts.waitForLine(new RegExp(`^\\.:${port} on 127\\.0\\.0\\.2$`), 5000, 'stdout')
})
