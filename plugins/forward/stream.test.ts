// StreamConn reading replies from a real TCP upstream that slices them awkwardly: one byte per
// segment, several replies in one segment, a length prefix split across segments.

import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { buildQuery } from '../../test/helpers/index.ts'
import { StreamConn } from './stream.ts'
import type { Endpoint, Waiter } from './transport.ts'

/** A TCP upstream handing each connection's queries (IDs as sent) to `serve`, framing stripped. */
async function upstream(serve: (sock: net.Socket, queries: Buffer[]) => void, want: number):
  Promise<{ ep: Endpoint; close(): void }> {
  const server = net.createServer((sock) => {
    sock.setNoDelay(true)
    let got = Buffer.alloc(0)
    const queries: Buffer[] = []
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        queries.push(got.subarray(2, 2 + got.readUInt16BE(0)))
        got = got.subarray(2 + got.readUInt16BE(0))
      }
      if (queries.length === want) serve(sock, queries.splice(0))
    })
    sock.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const ep: Endpoint = { host: '127.0.0.1', port, family: 4, to: `127.0.0.1:${port}` }
  return { ep, close: () => void server.close() }
}

/** The reply to `query`, `size` bytes long (the question echoed, zeros after), framed. */
function framedReply(query: Buffer, size: number): Buffer {
  const framed = Buffer.alloc(2 + size)
  framed.writeUInt16BE(size, 0)
  query.copy(framed, 2)
  framed[4] = framed[4]! | 0x80 // QR
  framed.fill(0x5a, 2 + query.length) // padding the check does not read, but must arrive intact
  return framed
}

/** Sends `names` on `conn`; resolves with the replies in the order of `names`. */
function ask(conn: StreamConn, names: string[]): Promise<Uint8Array[]> {
  return Promise.all(names.map((name) => new Promise<Uint8Array>((resolve, reject) => {
    const query = buildQuery(name)
    const w: Waiter = { query, questionEnd: query.length, onReply: resolve, onError: reject }
    conn.send(w, 60_000)
  })))
}

/** Writes `bytes` `step` bytes per write, a turn of the event loop between writes. */
function drip(sock: net.Socket, bytes: Buffer, step: number): void {
  let off = 0
  const next = (): void => {
    if (sock.destroyed) return
    sock.write(bytes.subarray(off, off + step))
    off += step
    if (off < bytes.length) setImmediate(next)
  }
  next()
}

test('a 60 KB reply sent one byte per segment arrives intact', async (t) => {
  const size = 60_000
  let sent: Buffer | undefined
  const up = await upstream((sock, [q]) => {
    sent = framedReply(q!, size)
    drip(sock, sent, 1)
  }, 1)
  const conn = new StreamConn(up.ep, undefined, undefined)
  t.after(() => {
    conn.close()
    up.close()
  })
  const cpu = process.cpuUsage()
  const started = performance.now()
  const [reply] = await ask(conn, ['drip.example.'])
  const used = process.cpuUsage(cpu)
  t.diagnostic(`cpu ${((used.user + used.system) / 1000).toFixed(0)} ms, ` +
    `wall ${(performance.now() - started).toFixed(0)} ms`)
  assert.equal(reply!.length, size)
  assert.deepEqual(Buffer.from(reply!), sent!.subarray(2))
})

test('several replies in one segment and a length split across segments arrive intact', async (t) => {
  const names = ['a.example.', 'b.example.', 'c.example.', 'd.example.']
  const sizes = [100, 40, 3_000, 70]
  let sent: Buffer[] = []
  const up = await upstream((sock, queries) => {
    // replies in reverse order, so matching by ID is exercised too
    sent = queries.map((q, i) => framedReply(q, sizes[i]!))
    const all = Buffer.concat([sent[3]!, sent[2]!, sent[1]!, sent[0]!])
    const a = sent[3]!.length
    const b = a + sent[2]!.length
    // [d whole + c's first length byte] [c's second length byte] [c's body in two parts, the
    // second with b whole and a's first byte] [a's second length byte .. a's end]
    const cuts = [0, a + 1, a + 2, a + 1_000, b + sent[1]!.length + 1, all.length]
    let i = 0
    const next = (): void => {
      sock.write(all.subarray(cuts[i]!, cuts[i + 1]!))
      if (++i < cuts.length - 1) setTimeout(next, 5)
    }
    next()
  }, names.length)
  const conn = new StreamConn(up.ep, undefined, undefined)
  t.after(() => {
    conn.close()
    up.close()
  })
  const replies = await ask(conn, names)
  for (let i = 0; i < names.length; i++) {
    assert.deepEqual(Buffer.from(replies[i]!), sent[i]!.subarray(2), names[i])
  }
})
