import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { HEADER, layout, setU16 } from './message.ts'
import { WireError } from './name.ts'

const reply = dnsPacket.encode({
  id: 1,
  type: 'response',
  questions: [{ name: 'a.example.org', type: 'A', class: 'IN' }],
  answers: [
    { type: 'A', name: 'a.example.org', ttl: 60, data: '192.0.2.1' },
    { type: 'A', name: 'a.example.org', ttl: 60, data: '192.0.2.2' },
  ],
  additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as never],
})

/** a.example.org on the wire (dns-packet does not compress). */
const NAME = 15

test('layout: where each record and TTL sits, and the OPT', () => {
  const l = layout(reply)
  const q = HEADER + NAME + 4
  const a = NAME + 10 + 4
  assert.deepEqual([l.questionEnd, l.an, l.ns, l.ar, l.opt], [q, 2, 0, 1, 2])
  assert.deepEqual(l.starts, [q, q + a, q + 2 * a, reply.length])
  assert.deepEqual(l.ttls, [q + NAME + 4, q + a + NAME + 4, q + 2 * a + 1 + 4])
})

test('layout: record counts the message does not carry are refused', () => {
  const oneMore = Buffer.from(reply)
  setU16(oneMore, 10, 2)
  assert.throws(() => layout(oneMore), WireError)
  // a 100-byte message claiming 196,605 records: refused by the counts alone
  const flood = Buffer.from(reply)
  for (const off of [6, 8, 10]) setU16(flood, off, 0xffff)
  assert.throws(() => layout(flood), { name: 'WireError', message: 'record header overflows message' })
  assert.throws(() => layout(reply.subarray(0, reply.length - 1)), WireError)
})
