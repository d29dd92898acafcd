import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { throwsLocated } from '../../test/helpers/located.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { ListenerPool } from '../../src/server/listeners.ts'
import { buildQuery, freePort, tcpQuery, udpQuery } from '../../test/helpers/index.ts'
import { parseMultisocket } from './setup.ts'

setLogSink(() => {})

function parse(body: string): number {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseMultisocket(blocks[0]!.directives)
}

test('NUM_SOCKETS from 1 to 1024; without it, one per CPU (CoreDNS: GOMAXPROCS)', () => {
  assert.equal(parse('multisocket 5'), 5)
  assert.equal(parse('multisocket 1024'), 1024)
  assert.equal(parse('multisocket'), Math.min(availableParallelism(), 1024))
})

const invalid: Array<[string, string, number, number, string]> = [
  ['multisocket 0', 'COREFILE_VALUE', 2, 13, 'integer 0 is out of range, expecting an integer from 1 to 1024'],
  ['multisocket 1025', 'COREFILE_VALUE', 2, 13, 'out of range'],
  ['multisocket abc', 'COREFILE_VALUE', 2, 13, "invalid integer 'abc'"],
  ['multisocket 2 3', 'COREFILE_ARGS', 2, 15, 'wrong argument count'],
  ['multisocket\nmultisocket 2', 'COREFILE_ARGS', 3, 1, 'one multisocket per block'],
  ['multisocket {\n}', 'COREFILE_SYNTAX', 2, 1, "'multisocket' takes no block"],
]
for (const [body, code, line, col, fragment] of invalid) {
  test(`fails: ${body.replace(/\n/g, ' ')}`, () => {
    throwsLocated(() => parse(body), code, line, col, fragment)
  })
}

/** The sockets bound to `port` in this network namespace, from /proc (no tools needed). */
function bound(file: string, port: number): Array<{ state: string; rxQueue: number }> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  return readFileSync(file, 'utf8').split('\n').slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`))
    .map((f) => ({ state: f[3]!, rxQueue: parseInt(f[4]!.split(':')[1]!, 16) }))
}

test('multisocket N binds N UDP and N TCP sockets on the port, and every one is served', async () => {
  const port = await freePort('both')
  const { blocks } = loadCorefile({ file: 'Corefile', text: `.:${port} {\n multisocket 3\n whoami\n}\n` })
  const inst = Instance.build(blocks, { defaultPort: 53, dir: '.' })
  const pool = new ListenerPool()
  await pool.apply(inst.servers)
  after(() => pool.closeAll())
  assert.deepEqual(inst.describe(), [`.:${port}`, `.:${port}`, `.:${port}`])

  assert.equal(bound('/proc/net/udp6', port).length, 3)
  assert.equal(bound('/proc/net/tcp6', port).filter((s) => s.state === '0A').length, 3) // LISTEN

  // While this event loop is blocked (execFileSync), a child sends from 64 source ports: the
  // kernel hashes them over the sockets, where they wait, visible in each socket's rx_queue.
  const send = `const d = require('node:dgram'); const q = Buffer.from('${buildQuery('example.org.').toString('hex')}', 'hex');
    let n = 0; for (let i = 0; i < 64; i++) { const s = d.createSocket('udp4');
      s.send(q, ${port}, '127.0.0.1', () => { s.close(); if (++n === 64) process.exit(0) }) }`
  execFileSync(process.execPath, ['-e', send], { timeout: 10_000 })
  const queued = bound('/proc/net/udp6', port).filter((s) => s.rxQueue > 0).length
  assert.ok(queued >= 2, `datagrams waited on ${queued} of 3 sockets`)
  // Let the loop run: every socket is read until its queue is empty.
  for (let i = 0; i < 100 && bound('/proc/net/udp6', port).some((s) => s.rxQueue > 0); i++) await sleep(20)
  assert.deepEqual(bound('/proc/net/udp6', port).map((s) => s.rxQueue), [0, 0, 0])

  const q = buildQuery('example.org.')
  assert.ok(await udpQuery('127.0.0.1', port, q), 'UDP answer')
  assert.ok(await tcpQuery('127.0.0.1', port, q), 'TCP answer')
})

test('the first block on an address sets its socket count (CoreDNS: the group\'s first config)', () => {
  const { blocks } = loadCorefile({
    file: 'Corefile',
    text: 'a.:1053 {\n whoami\n}\nb.:1053 {\n multisocket 4\n whoami\n}\nc.:1054 {\n multisocket 2\n whoami\n}\n',
  })
  const inst = Instance.build(blocks, { defaultPort: 53, dir: '.' })
  assert.deepEqual(inst.servers.map((s) => [s.port, s.sockets]), [[1053, 1], [1054, 2]])
})
