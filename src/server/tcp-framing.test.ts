// The TCP listener reading queries sliced awkwardly by a client: one byte per segment, several
// queries in one segment, a length prefix split across segments.

import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { buildQuery } from '../../test/helpers/index.ts'
import type { Handler } from '../plugin/plugin.ts'
import { DnsServer } from './server.ts'
import { TCP_LIMITS, TcpListener } from './tcp.ts'

// Queries are padded (EDNS PADDING, RFC 7830) to the sizes wanted.

/** A listener recording the wire of every query and answering it with the query, QR set. */
async function echo(seen: Buffer[]): Promise<TcpListener> {
  const handler: Handler = {
    name: 'echo',
    serveDNS(_ctx, w, r) {
      seen.push(Buffer.from(r.wire))
      const reply = Buffer.from(r.wire.subarray(0, r.questionEnd))
      reply.writeUInt16BE(0, 10) // no additional section
      reply[2] = reply[2]! | 0x80
      w.write(reply, 'echo')
      return 0
    },
  }
  // a generous read deadline: the drip takes its time on a loaded machine
  const server = new DnsServer({ host: '127.0.0.1', port: 0, allowOtherClasses: false,
    tcp: { readMs: 60_000 } })
  server.addZone('.', handler)
  const l = new TcpListener('127.0.0.1', 0, server, TCP_LIMITS)
  await l.listen()
  return l
}

function framed(msg: Buffer): Buffer {
  const f = Buffer.alloc(2 + msg.length)
  f.writeUInt16BE(msg.length, 0)
  msg.copy(f, 2)
  return f
}

/** Connects, writes `bytes` cut at `cuts` (a turn of the event loop between writes), and
 * resolves once `want` replies have been read. */
async function send(port: number, bytes: Buffer, cuts: number[], want: number): Promise<void> {
  const sock = net.connect({ port, host: '127.0.0.1' })
  sock.setNoDelay(true)
  sock.on('error', () => {})
  await new Promise((resolve) => sock.once('connect', resolve))
  const done = new Promise<void>((resolve, reject) => {
    let got = Buffer.alloc(0)
    let replies = 0
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        got = got.subarray(2 + got.readUInt16BE(0))
        if (++replies === want) resolve()
      }
    })
    sock.on('close', () => reject(new Error(`closed after ${replies} replies`)))
  })
  const ends = [...cuts, bytes.length]
  let i = 0
  const next = (): void => {
    if (sock.destroyed) return
    sock.write(bytes.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!))
    if (++i < ends.length) setImmediate(next)
  }
  next()
  try {
    await done
  } finally {
    sock.destroy()
  }
}

test('a 60 KB query sent one byte per segment arrives intact', async (t) => {
  const seen: Buffer[] = []
  const l = await echo(seen)
  t.after(() => l.close())
  const query = buildQuery('drip.test', 'A', { edns: { options: [{ code: 12, length: 60_000 }] } })
  const bytes = framed(query)
  const cpu = process.cpuUsage()
  const started = performance.now()
  await send(l.port, bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1), 1)
  const used = process.cpuUsage(cpu)
  t.diagnostic(`cpu ${((used.user + used.system) / 1000).toFixed(0)} ms, ` +
    `wall ${(performance.now() - started).toFixed(0)} ms`)
  assert.deepEqual(seen, [query])
})

test('several queries in one segment and a length split across segments arrive intact', async (t) => {
  const seen: Buffer[] = []
  const l = await echo(seen)
  t.after(() => l.close())
  const queries = ['a.test', 'b.test', 'c.test', 'd.test'].map((n, i) => buildQuery(n, 'A', {
    edns: { options: [{ code: 12, length: [10, 3_000, 0, 50][i]! }] },
  }))
  const f = queries.map(framed)
  const bytes = Buffer.concat(f)
  const a = f[0]!.length
  const b = a + f[1]!.length
  // [a whole + b's first length byte] [b's second length byte] [b's body in two parts, the second
  // with c whole and d's first byte] [the rest]
  const cuts = [a + 1, a + 2, a + 1_000, b + f[2]!.length + 1]
  await send(l.port, bytes, cuts, queries.length)
  assert.deepEqual(seen, queries)
})
