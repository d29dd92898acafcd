import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import fc from 'fast-check'
import { INVALID, REPAIRED, valid } from '../../test/soak/lib/bad-replies.ts'
import { buildQuery } from '../../test/helpers/index.ts'
import { layout, rrType } from './message.ts'
import { Invalid, lastCheck, truncatedReply, upstreamReply } from './validate.ts'
import { Type } from '../plugin/rrtype.ts'

const query = buildQuery('www.example.org', 'A')

test('a valid reply passes unchanged, the same bytes', () => {
  const r = valid(query)
  const out = upstreamReply(Uint8Array.from(r))
  assert.ok(out instanceof Uint8Array)
  assert.deepEqual([...out], [...r])
  assert.equal(lastCheck.repaired, false)
})

for (const [what, build] of Object.entries(INVALID)) {
  test(`refused: ${what}`, () => {
    const out = upstreamReply(build(query))
    assert.ok(out instanceof Invalid, `${what} passed`)
    const short = what === 'truncated RDATA' || what === 'truncated header'
    assert.equal(out.short, short, out.reason)
  })
}

for (const [what, build] of Object.entries(REPAIRED)) {
  test(`repaired: ${what} (no OPT left, one A record)`, () => {
    const out = upstreamReply(build(query))
    assert.ok(out instanceof Uint8Array, (out as Invalid).reason)
    assert.equal(lastCheck.repaired, what !== 'one OPT record')
    const m = dnsPacket.decode(Buffer.from(out))
    assert.deepEqual(m.answers?.map((a) => a.type), ['A'])
    assert.deepEqual([m.authorities?.length, m.additionals?.length], [0, 0])
    assert.equal(out.length, valid(query).length, 'nothing after the last record')
  })
}

// CoreDNS relays an upstream's own OPT to a client that sent EDNS (SizeAndDo rewrites it)
test('for an EDNS client one OPT at the end stays as it is; a repeated one never does', () => {
  const one = REPAIRED['one OPT record']!(query)
  const kept = upstreamReply(Uint8Array.from(one), true)
  assert.ok(kept instanceof Uint8Array)
  assert.deepEqual([...kept], [...one])
  assert.equal(lastCheck.repaired, false)
  const two = upstreamReply(REPAIRED['two OPT records']!(query), true)
  assert.ok(two instanceof Uint8Array)
  assert.deepEqual(dnsPacket.decode(Buffer.from(two)).additionals, [])
  assert.equal(lastCheck.repaired, true)
})

test('an OPT between records is taken out and the names after it still read', () => {
  const m = dnsPacket.encode({
    type: 'response', id: 1, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'www.example.org', type: 'A' }],
    answers: [{ name: 'www.example.org', type: 'CNAME', data: 'web.example.org' }],
    additionals: [
      { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as never,
      { name: 'web.example.org', type: 'A', data: '192.0.2.9' },
    ],
  })
  const out = upstreamReply(m)
  assert.ok(out instanceof Uint8Array)
  const d = dnsPacket.decode(Buffer.from(out))
  assert.deepEqual(d.additionals?.map((a) => [a.type, a.name]), [['A', 'web.example.org']])
})

test('names inside RDATA are checked and may be pointer targets', () => {
  // MX exchange "mx" + pointer to the question's example.org; then an A owned by that name
  const q = [...buildQuery('example.org', 'MX')]
  const qEnd = q.length
  const mxName = qEnd + 2 + 10 + 2 // after owner pointer, fixed fields, preference
  const body = [
    0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 7, 0, 10, 2, 0x6d, 0x78, 0xc0, 12,
    0xc0, mxName, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
  ]
  const r = Uint8Array.from([...q.slice(0, 2), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 1,
    ...q.slice(12), ...body])
  const out = upstreamReply(Uint8Array.from(r))
  assert.ok(out instanceof Uint8Array, (out as Invalid).reason)
  const bad = Uint8Array.from(r)
  bad[qEnd + 17] = 0xc0 // the MX name's pointer now aims at itself
  bad[qEnd + 18] = qEnd + 17
  assert.ok(upstreamReply(bad) instanceof Invalid)
})

test('truncatedReply: header and question, no records, TC', () => {
  const out = truncatedReply(valid(query), query.length)
  const d = dnsPacket.decode(Buffer.from(out))
  assert.equal(d.flag_tc, true)
  assert.equal(d.questions?.[0]?.name, 'www.example.org')
  assert.equal(d.answers?.length, 0)
})

/** A richer reply: compressed names in several RDATA types, an OPT at the end. */
function rich(): Uint8Array {
  return dnsPacket.encode({
    type: 'response', id: 1, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'www.example.org', type: 'A' }],
    answers: [
      { name: 'www.example.org', type: 'CNAME', data: 'web.example.org' },
      { name: 'web.example.org', type: 'A', data: '192.0.2.1' },
      { name: 'web.example.org', type: 'TXT', data: ['a', 'bc'] },
    ],
    authorities: [{ name: 'example.org', type: 'SOA', data: { mname: 'ns.example.org',
      rname: 'h.example.org', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }],
    additionals: [
      { name: 'example.org', type: 'MX', data: { preference: 1, exchange: 'mx.example.org' } },
      { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as never,
    ],
  })
}

test('random mutations never throw and never pass an invalid message', () => {
  const bases = [valid(query), rich(), ...Object.values(REPAIRED).map((b) => b(query))]
  const mutation = fc.record({
    base: fc.nat(bases.length - 1),
    edits: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
    cut: fc.option(fc.nat()),
    tail: fc.uint8Array({ maxLength: 8 }),
  })
  fc.assert(fc.property(mutation, ({ base, edits, cut, tail }) => {
    const src = bases[base]!
    let b = Uint8Array.from([...src, ...tail])
    for (const [at, v] of edits) b[at % b.length] = v
    if (cut !== null) b = b.subarray(0, cut % (b.length + 1))
    const keepOpt = (edits.length & 1) === 1
    const out = upstreamReply(b, keepOpt)
    if (out instanceof Invalid) return
    // what passes reads whole, has no OPT (one at most, the last record, when kept), and passes
    // again untouched
    const l = layout(out)
    const n = l.starts.length - 1
    assert.equal(l.starts.at(-1), out.length)
    for (let i = 0; i < n; i++) {
      if (!keepOpt || i < n - 1) assert.notEqual(rrType(out, l, i), Type.OPT)
    }
    const again = upstreamReply(Uint8Array.from(out), keepOpt)
    assert.ok(again instanceof Uint8Array)
    assert.equal(lastCheck.repaired, false)
    assert.deepEqual([...again], [...out])
  }), { numRuns: 3000 })
})
