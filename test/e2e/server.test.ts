// The server core over real sockets with real clients: routing, REFUSED, BADVERS, TCP framing and
// pipelining, IPv4 and IPv6, and malformed packets that must never take the server down.

import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, test } from 'node:test'
import dnsPacket from 'dns-packet'
import { buildQuery, decode, dig, freePort, rcodeOf, startTsdns, tcpQuery, udpQuery, type Tsdns } from '../helpers/index.ts'

let port: number
let tsdns: Tsdns

before(async () => {
  port = await freePort('both')
  tsdns = await startTsdns(`
example.org:${port} {
    bind 127.0.0.1 ::1
    whoami
}
# A zone with no plugins: CoreDNS answers REFUSED.
sub.example.org:${port} {
    bind 127.0.0.1 ::1
}
`)
})

after(async () => {
  await tsdns?.stop()
})

test('startup lines name every zone and address', async () => {
  // The pid file can be written before the parent has read the child's stdout pipe: wait for lines.
  await tsdns.waitForLine(new RegExp(`^example\\.org\\.:${port} on 127\\.0\\.0\\.1$`), 5000, 'stdout')
  await tsdns.waitForLine(new RegExp(`^sub\\.example\\.org\\.:${port} on ::1$`), 5000, 'stdout')
})

for (const tool of ['dig', 'kdig'] as const) {
  for (const proto of ['udp', 'tcp'] as const) {
    test(`${tool} over ${proto}: longest zone wins, unknown zones are REFUSED`, async () => {
      const opts = proto === 'tcp' ? ['+tcp'] : []
      const hit = await dig({ tool, port, name: 'www.Example.org', opts })
      assert.equal(hit.status, 'NOERROR')
      assert.ok(hit.flags.includes('aa'))
      assert.equal(hit.additional.find((r) => r.type === 'A')?.data, '127.0.0.1')
      assert.equal((await dig({ tool, port, name: 'a.sub.example.org', opts })).status, 'REFUSED')
      assert.equal((await dig({ tool, port, name: 'example.net', opts })).status, 'REFUSED')
    })
  }
}

test('IPv6: the client address comes back as AAAA', async () => {
  const r = await dig({ server: '::1', port, name: 'example.org', opts: ['+tcp'] })
  assert.equal(r.status, 'NOERROR')
  assert.equal(r.additional.find((x) => x.type === 'AAAA')?.data, '::1')
  assert.equal(r.additional.find((x) => x.type === 'SRV')?.name, '_tcp.example.org.')
})

test('DS goes to the parent zone', async () => {
  // sub.example.org has no plugins (REFUSED), but DS for it belongs to example.org.
  assert.equal((await dig({ port, name: 'sub.example.org', type: 'DS' })).status, 'NOERROR')
})

test('EDNS version 1 is answered BADVERS; the OPT is mirrored otherwise', async () => {
  const bad = await dig({ port, name: 'example.org', opts: ['+edns=1', '+noednsneg'] })
  assert.equal(bad.status, 'BADVERS')
  const ok = await dig({ port, name: 'example.org', opts: ['+bufsize=1400'] })
  assert.equal(ok.ednsUdp, 1400)
  const none = await dig({ port, name: 'example.org', opts: ['+noedns'] })
  assert.equal(none.ednsUdp, undefined, 'no OPT when the client sent none')
})

test('class CH is REFUSED when neither chaos nor forward is loaded', async () => {
  assert.equal((await dig({ port, name: 'version.bind', type: 'TXT', class: 'CH' })).status, 'REFUSED')
})

test('pipelined TCP queries on one connection are all answered', async () => {
  const ids = [11, 22, 33, 44]
  const replies = await tcpQuery('127.0.0.1', port, ids.map((id) => buildQuery('example.org', 'A', { id })))
  assert.deepEqual(replies.map((r) => decode(r).id).sort(), ids)
})

test('malformed UDP packets: FORMERR, NOTIMP or silence, and the server keeps answering', async () => {
  const two = dnsPacket.encode({
    id: 9,
    type: 'query',
    questions: [
      { name: 'a.example.org', type: 'A', class: 'IN' },
      { name: 'b.example.org', type: 'A', class: 'IN' },
    ],
  })
  const formerr = await udpQuery('127.0.0.1', port, two, { timeoutMs: 1000 })
  assert.ok(formerr, 'FORMERR is sent for two questions')
  assert.equal(rcodeOf(formerr), 1, 'FORMERR')
  const update = buildQuery('example.org', 'A', { id: 10 })
  update[2] = (update[2]! & 0x87) | (5 << 3) // opcode UPDATE
  assert.equal(rcodeOf((await udpQuery('127.0.0.1', port, update, { timeoutMs: 1000 }))!), 4, 'NOTIMP')
  const response = buildQuery('example.org', 'A', { id: 11 })
  response[2]! |= 0x80 // QR set: a reply is never answered (no reflection)
  assert.equal(await udpQuery('127.0.0.1', port, response, { timeoutMs: 300 }), undefined)
  let seed = 99
  const rnd = () => (seed = (seed * 48271) % 2147483647)
  for (let i = 0; i < 300; i++) {
    const junk = Buffer.alloc(rnd() % 100)
    for (let j = 0; j < junk.length; j++) junk[j] = rnd() & 0xff
    await udpQuery('127.0.0.1', port, junk, { timeoutMs: 5 })
  }
  assert.equal((await dig({ port, name: 'example.org' })).status, 'NOERROR')
})

test('TCP garbage: zero-length frame closes the connection; the server keeps answering', async () => {
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from([0, 0, 1, 2, 3])))
    s.on('close', () => resolve())
    s.on('error', reject)
    s.setTimeout(5000, () => reject(new Error('connection was not closed')))
  })
  // A frame announcing more bytes than ever arrive just idles out; the server stays up.
  const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from([0xff, 0xff, 1, 2, 3])))
  s.on('error', () => {})
  assert.equal((await dig({ port, name: 'example.org', opts: ['+tcp'] })).status, 'NOERROR')
  s.destroy()
})
