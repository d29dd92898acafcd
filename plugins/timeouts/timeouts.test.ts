import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, test } from 'node:test'
import { throwsLocated } from '../../test/helpers/located.ts'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { TcpOptions } from '../../src/plugin/plugin.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { Instance } from '../../src/server/instance.ts'
import { ListenerPool } from '../../src/server/listeners.ts'
import { buildQuery, freePort } from '../../test/helpers/index.ts'
import { eventually, FakeTimeouts } from '../../test/helpers/fake-timeouts.ts'
import { parseTimeouts } from './setup.ts'

setLogSink(() => {})

function build(text: string): Instance {
  const { blocks } = loadCorefile({ file: 'Corefile', text })
  return Instance.build(blocks, { defaultPort: 53, dir: '.' })
}

function parse(body: string): TcpOptions {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseTimeouts(blocks[0]!.directives)
}

const valid: Array<[string, TcpOptions]> = [
  ['timeouts {\n read 10s\n}', { readMs: 10_000 }],
  [
    'timeouts {\n read 10s\n write 20s\n idle 1m\n}',
    { readMs: 10_000, writeMs: 20_000, idleMs: 60_000 },
  ],
  ['timeouts {\n idle 24h\n max_queries 200\n}', { idleMs: 86_400_000, maxQueries: 200 }],
  // CoreDNS 1.14's name: -1 is no cap
  ['timeouts {\n maxtcpqueries 128\n}', { maxQueries: 128 }],
  ['timeouts {\n maxtcpqueries -1\n}', { maxQueries: 0 }],
  ['timeouts {\n read 1s\n}\ntimeouts {\n read 2s\n write 3s\n}', { readMs: 2000, writeMs: 3000 }],
]
for (const [body, want] of valid) {
  test(`parses: ${body.replace(/\n/g, ' ')}`, () => assert.deepEqual(parse(body), want))
}

// fails
const invalid: Array<[string, string, number, number, string]> = [
  ['timeouts', 'COREFILE_ARGS', 2, 1, 'timeouts block with no timeouts or limits specified'],
  ['timeouts {\n}', 'COREFILE_ARGS', 2, 1, 'timeouts block with no timeouts or limits specified'],
  ['timeouts 5s {\n read 5s\n}', 'COREFILE_ARGS', 2, 10, 'wrong argument count'],
  ['timeouts {\n read 500ms\n}', 'COREFILE_VALUE', 3, 7, "'500ms' needs to be between 1 second"],
  ['timeouts {\n idle 25h\n}', 'COREFILE_VALUE', 3, 7, 'needs to be between 1 second and 24 hours'],
  ['timeouts {\n write ten\n}', 'COREFILE_VALUE', 3, 8, "invalid duration 'ten'"],
  ['timeouts {\n read\n}', 'COREFILE_ARGS', 3, 2, 'wrong argument count'],
  ['timeouts {\n read 1s 2s\n}', 'COREFILE_ARGS', 3, 10, 'wrong argument count'],
  ['timeouts {\n max_queries -1\n}', 'COREFILE_VALUE', 3, 14, 'out of range'],
  ['timeouts {\n maxtcpqueries 0\n}', 'COREFILE_VALUE', 3, 16, "maxtcpqueries provided '0' needs to be -1"],
  ['timeouts {\n maxtcpqueries -2\n}', 'COREFILE_VALUE', 3, 16, 'or a positive integer'],
  ['timeouts {\n linger 5s\n}', 'COREFILE_UNKNOWN', 3, 2, "unknown option: 'linger'"],
]
for (const [body, code, line, col, fragment] of invalid) {
  test(`fails: ${body.replace(/\n/g, ' ')}`, () => {
    throwsLocated(() => parse(body), code, line, col, fragment)
  })
}

test('servers take CoreDNS defaults, and the values of every block on their address', () => {
  const plain = build('.:1053 {\n whoami\n}\n')
  const defaults = { readMs: 3000, writeMs: 5000, idleMs: 10_000, maxQueries: 0 }
  assert.deepEqual(plain.servers[0]!.tcp, defaults)
  const two = build(
    'a.:1053 {\n timeouts {\n read 2s\n }\n whoami\n}\n' +
      'b.:1053 {\n timeouts {\n idle 30s\n }\n whoami\n}\n',
  )
  assert.deepEqual(two.servers[0]!.tcp, { ...defaults, readMs: 2000, idleMs: 30_000 })
})

/** A real TCP listener on a free port serving `plugins`; stopped after the tests. */
async function listen(plugins: string): Promise<number> {
  const port = await freePort('tcp')
  const pool = new ListenerPool()
  await pool.apply(build(`.:${port} {\n${plugins}\n whoami\n}\n`).servers)
  after(() => pool.closeAll())
  return port
}

function framed(...queries: Uint8Array[]): Buffer {
  const frame = (q: Uint8Array) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q])
  return Buffer.concat(queries.map(frame))
}

/** A client connection; `closed` turns true when the server closes it. */
interface Session {
  closed: boolean
  replies: number
}

/** Connects and sends `data`; resolves once the server armed its deadline (or closed). */
async function session(port: number, data: Buffer | undefined, clock: FakeTimeouts,
): Promise<Session> {
  const s: Session = { closed: false, replies: 0 }
  let got = Buffer.alloc(0)
  const sock: Socket = connect({ host: '127.0.0.1', port }, () => {
    if (data) sock.write(data)
  })
  after(() => sock.destroy())
  sock.on('data', (chunk) => {
    got = Buffer.concat([got, chunk])
    let replies = 0
    for (let o = 0; o + 2 <= got.length; o += 2 + got.readUInt16BE(o)) replies++
    s.replies = replies
  })
  // A server closing with a query left unread resets the connection: still a close.
  sock.on('error', () => {})
  sock.on('close', () => (s.closed = true))
  const taken = () => clock.pending.size > 0 || s.closed
  assert.ok(await eventually(taken), 'the server took the connection')
  return s
}

/** Asserts `s` is open 1 ms before `ms` on the fake clock and closed at `ms`. */
async function closesAt(clock: FakeTimeouts, s: Session, ms: number, what: string): Promise<void> {
  clock.advance(ms - 1)
  assert.equal(await eventually(() => s.closed, 100), false, `open 1 ms before the ${what}`)
  clock.advance(1)
  assert.ok(await eventually(() => s.closed), `closed at the ${what}`)
}

test('read: a connection that sends nothing is closed after the read timeout', async (t) => {
  const port = await listen(' timeouts {\n read 1s\n }')
  const clock = FakeTimeouts.install(t)
  const s = await session(port, undefined, clock)
  await closesAt(clock, s, 1000, 'read timeout (default would be 3000)')
  assert.equal(s.replies, 0)
})

test('idle: after a query, the connection lives for the idle timeout', async (t) => {
  const port = await listen(' timeouts {\n read 5s\n idle 1s\n }')
  const clock = FakeTimeouts.install(t)
  const s = await session(port, framed(buildQuery('a.example.')), clock)
  assert.ok(await eventually(() => s.replies === 1), 'answered')
  await closesAt(clock, s, 1000, 'idle timeout after the reply (default idle: 10 s)')
})

test('max_queries: the connection is closed once that many queries are answered', async (t) => {
  const port = await listen(' timeouts {\n max_queries 2\n }')
  const clock = FakeTimeouts.install(t) // standing still: no timeout can close it
  const q = () => buildQuery('a.example.')
  const s = await session(port, framed(q(), q(), q()), clock)
  assert.ok(await eventually(() => s.closed), 'closed with the clock standing still')
  assert.equal(s.replies, 2)
})

test('write: a client that stops reading is cut off when a reply waits that long', async () => {
  const big = [0, 1, 2, 3].map((i) => `answer "{{ .Name }} 60 IN TXT ${String(i).repeat(250)}"`)
  const port = await listen(
    ` timeouts {\n write 1s\n idle 30s\n }\n template IN TXT big.test {\n ${big.join('\n ')}\n }`,
  )
  // About 10 MB of replies: more than the kernel buffers on both sides hold.
  const queries = Array.from({ length: 10_000 }, () => buildQuery('big.test.', 'TXT'))
  const got = await new Promise<{ replies: number }>((resolve) => {
    const sock = connect({ host: '127.0.0.1', port }, () => {
      sock.pause()
      sock.write(framed(...queries))
      // reading again after the write timeout: only what was already sent is left
      setTimeout(() => sock.resume(), 2500)
    })
    let bytes = Buffer.alloc(0)
    sock.on('data', (chunk) => (bytes = Buffer.concat([bytes, chunk])))
    sock.on('error', () => {})
    const guard = setTimeout(() => sock.destroy(), 8000)
    sock.on('close', () => {
      clearTimeout(guard)
      let replies = 0
      for (let o = 0; o + 2 <= bytes.length; o += 2 + bytes.readUInt16BE(o)) replies++
      resolve({ replies })
    })
  })
  assert.ok(got.replies > 0 && got.replies < queries.length, `${got.replies} replies`)
})
