import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { Rcode } from '../plugin/rcode.ts'
import { DROP, parseQuery, WireRequest } from './request.ts'

function query(over: Partial<dnsPacket.Packet> = {}): Uint8Array {
  return dnsPacket.encode({
    id: 4242,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'WWW.Example.ORG', type: 'AAAA', class: 'IN' }],
    ...over,
  })
}

function parsed(buf: Uint8Array, proto: 'udp' | 'tcp' = 'udp'): WireRequest {
  const r = parseQuery(buf, proto)
  assert.ok(r instanceof WireRequest, `expected a request, got ${String(r)}`)
  return r
}

test('header, question and case come straight from the bytes', () => {
  const r = parsed(query())
  assert.equal(r.id, 4242)
  assert.equal(r.name, 'www.example.org.')
  assert.equal(r.qname, 'WWW.Example.ORG.')
  assert.equal(r.type, 28)
  assert.equal(r.class, 1)
  assert.equal(r.edns, undefined)
  assert.equal(r.size, 512)
  assert.equal(parsed(query(), 'tcp').size, 65535)
  assert.equal(r.msg.questions?.[0]?.name, 'WWW.Example.ORG', 'lazy decode agrees')
})

test('EDNS: size, DO and version from the OPT record', () => {
  const r = parsed(
    query({
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as never],
    }),
  )
  assert.deepEqual([r.edns?.udpSize, r.edns?.version, r.do], [1232, 0, true])
  assert.equal(r.size, 1232)
  const small = parsed(query({ additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 100 } as never] }))
  assert.equal(small.size, 512, 'a size under 512 counts as 512 (RFC 6891)')
  const v1 = query({ additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never] })
  v1[v1.length - 5] = 1 // OPT TTL byte 2: the EDNS version
  assert.equal(parsed(v1).edns?.version, 1)
})

test('the root name', () => {
  const r = parsed(query({ questions: [{ name: '.', type: 'NS', class: 'IN' }] }))
  assert.equal(r.name, '.')
})

// The accept filter and malformed input, as miekg/dns answers them.
const cases: Array<[string, () => Uint8Array, number]> = [
  ['runt (under 12 bytes)', () => new Uint8Array([1, 2, 3]), DROP],
  ['a response (QR set)', () => query({ type: 'response' }), DROP],
  ['opcode UPDATE', () => withFlags(query(), 5 << 11), Rcode.NotImp],
  ['opcode STATUS', () => withFlags(query(), 2 << 11), Rcode.NotImp],
  ['no question', () => query({ questions: [] }), Rcode.FormErr],
  [
    'two questions',
    () =>
      query({
        questions: [
          { name: 'a.org', type: 'A', class: 'IN' },
          { name: 'b.org', type: 'A', class: 'IN' },
        ],
      }),
    Rcode.FormErr,
  ],
  ['arcount 3', () => setCount(query(), 10, 3), Rcode.FormErr],
  ['label overruns the packet', () => cut(query(), 16), Rcode.FormErr],
  ['question without type/class', () => cut(query(), query().length - 3), Rcode.FormErr],
  ['label length 64+ (bad label type)', () => patch(query(), 12, 0x40), Rcode.FormErr],
  ['compression loop', () => loop(), Rcode.FormErr],
  ['additional count larger than present', () => setCount(query(), 10, 1), Rcode.FormErr],
]

for (const [name, make, want] of cases) {
  test(`malformed: ${name}`, () => {
    assert.equal(parseQuery(make(), 'udp'), want)
  })
}

test('random bytes never throw', () => {
  let seed = 7
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)
  for (let i = 0; i < 20000; i++) {
    const buf = new Uint8Array(rnd() % 80)
    for (let j = 0; j < buf.length; j++) buf[j] = rnd() & 0xff
    if (buf.length > 5 && i % 2 === 0) {
      buf[4] = 0 // often exactly one question, to get past the header filter
      buf[5] = 1
    }
    const r = parseQuery(buf, 'udp')
    assert.ok(r instanceof WireRequest || typeof r === 'number')
  }
})

function withFlags(buf: Uint8Array, flags: number): Uint8Array {
  buf[2] = flags >>> 8
  buf[3] = flags & 0xff
  return buf
}
function setCount(buf: Uint8Array, off: number, n: number): Uint8Array {
  buf[off] = n >>> 8
  buf[off + 1] = n & 0xff
  return buf
}
function cut(buf: Uint8Array, len: number): Uint8Array {
  return buf.slice(0, len)
}
function patch(buf: Uint8Array, off: number, v: number): Uint8Array {
  buf[off] = v
  return buf
}
/** A question whose name is a pointer to itself. */
function loop(): Uint8Array {
  const b = new Uint8Array(12 + 2 + 4)
  b[5] = 1
  b[12] = 0xc0
  b[13] = 12
  b[15] = 1
  b[17] = 1
  return b
}
