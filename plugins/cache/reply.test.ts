import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import type { Answer, Packet } from 'dns-packet'
import { Flag, layout } from '../../src/wire/message.ts'
import { request } from '../../test/dnstest.ts'
import { rr } from '../../test/helpers/rr.ts'
import { render, storedForm, storedLength } from './entry.ts'
import { answersQuestion, cacheType, minimalTtl } from './reply.ts'
import { SOA } from './testkit.ts'

const NOW = 1_800_000_000

type Parts = Partial<Packet> & { rcode?: number }

function wire(p: Parts, q = { name: 'a.example.org', type: 'A' }): Uint8Array {
  return dnsPacket.encode({
    id: 1,
    type: 'response',
    flags: (p.flags ?? 0) | (p.rcode ?? 0),
    questions: [{ name: q.name, type: q.type as never, class: 'IN' }],
    answers: p.answers ?? [],
    authorities: p.authorities ?? [],
    additionals: p.additionals ?? [],
  })
}

/** The reply bytes of a stored form. */
function decodeStored(s: string) {
  return dnsPacket.decode(Buffer.from(s.slice(0, storedLength(s)), 'latin1'))
}

/** The numbers after a stored form's bytes, two characters each. */
function trailer(s: string): number[] {
  const out: number[] = []
  for (let i = storedLength(s); i < s.length; i += 2) out.push((s.charCodeAt(i) << 8) | s.charCodeAt(i + 1))
  return out
}

const opt = (flags = 0): Answer => ({ type: 'OPT', name: '.', udpPayloadSize: 512, flags }) as never

/** An RRSIG valid from NOW + `from` to NOW + `until` seconds. */
function rrsig(until: number, from: number): Answer {
  return {
    type: 'RRSIG', name: 'a.example.org', ttl: 300,
    data: {
      typeCovered: 'A', algorithm: 8, labels: 3, originalTTL: 300,
      expiration: NOW + until, inception: NOW + from, keyTag: 1, signersName: 'example.org',
      signature: Buffer.alloc(8),
    },
  } as never
}

const A = rr('a.example.org. 300 IN A 192.0.2.1')
const NS = rr('example.org. 300 IN NS ns.example.org.')
const GLUE = rr('ns.example.org. 7 IN A 192.0.2.3')
const DO = opt(dnsPacket.DNSSEC_OK)

const kinds: Array<[string, Uint8Array, string]> = [
  ['answer', wire({ answers: [A] }), 'NOERROR'],
  ['NXDOMAIN + SOA', wire({ rcode: 3, authorities: [rr(SOA)] }), 'NXDOMAIN'],
  ['NODATA + SOA', wire({ authorities: [rr(SOA)] }), 'NODATA'],
  ['referral', wire({ authorities: [NS] }), 'DELEGATION'],
  ['SERVFAIL', wire({ rcode: 2 }), 'SERVERERROR'],
  ['NOTIMP', wire({ rcode: 4 }), 'SERVERERROR'],
  ['REFUSED', wire({ rcode: 5 }), 'OTHERERROR'],
  ['NXDOMAIN without SOA (CoreDNS key())', wire({ rcode: 3 }), 'OTHERERROR'],
  ['NXDOMAIN with an answer', wire({ rcode: 3, answers: [A], authorities: [rr(SOA)] }), 'OTHERERROR'],
  ['NOERROR without anything', wire({}), 'OTHERERROR'],
  ['AXFR', wire({ answers: [A] }, { name: 'example.org', type: 'AXFR' }), 'META'],
  ['NOTIFY', wire({ flags: 4 << 11, answers: [A] }), 'META'],
  ['UPDATE', wire({ flags: 5 << 11 }), 'UPDATE'],
  ['DO, expired RRSIG', wire({ answers: [A, rrsig(-1, -9)], additionals: [DO] }), 'OTHERERROR'],
  ['DO, valid RRSIG', wire({ answers: [A, rrsig(10, -9)], additionals: [DO] }), 'NOERROR'],
  ['expired RRSIG without DO', wire({ answers: [A, rrsig(-10, -99)] }), 'NOERROR'],
]

for (const [what, buf, kind] of kinds) {
  test(`cacheType: ${what}`, () => assert.equal(cacheType(buf, layout(buf), NOW), kind))
}

test('minimalTtl: smallest TTL, at most 3600; 5 for nothing; no SOA MINIMUM for denials', () => {
  const ttl = (buf: Uint8Array) => {
    const l = layout(buf)
    return minimalTtl(buf, l, cacheType(buf, l, NOW))
  }
  assert.equal(ttl(wire({ answers: [rr('a.example.org. 90000 IN A 192.0.2.1')] })), 3600)
  assert.equal(ttl(wire({ answers: [A, rr('a.example.org. 20 IN A 192.0.2.2')] })), 20)
  assert.equal(ttl(wire({ answers: [A], additionals: [GLUE, opt()] })), 7)
  assert.equal(ttl(wire({ rcode: 3, authorities: [rr(SOA)] })), 300, 'SOA TTL 300, MINIMUM 60')
  assert.equal(ttl(wire({ rcode: 3, authorities: [rr(SOA.replace(' 300 ', ' 30 '))] })), 30)
  assert.equal(ttl(wire({ rcode: 2 })), 5)
  assert.equal(ttl(wire({ authorities: [NS] })), 5)
})

test('storedForm: OPT removed when last; a reply with OPT elsewhere is not stored', () => {
  const last = wire({ answers: [A], additionals: [GLUE, opt()] })
  const sent = Buffer.from(last)
  const s = storedForm(last, layout(last))!
  assert.equal(storedLength(s), last.length - 11)
  assert.deepEqual(decodeStored(s).additionals?.map((a) => a.type), ['A'])
  const l = layout(last)
  assert.equal(s.length, storedLength(s) + 2 * 2 + 4, 'two TTL offsets, their count, the question\'s end')
  assert.deepEqual(trailer(s), [l.ttls[0], l.ttls[1], 2, l.questionEnd])
  assert.deepEqual(Buffer.from(last), sent, 'the reply going on to the client keeps its OPT and ARCOUNT')
  // the same from a Uint8Array that is not a Buffer (a plugin's reply), at an offset in its buffer
  const plain = new Uint8Array(last.length + 3)
  plain.set(last, 3)
  const fromPlain = storedForm(plain.subarray(3), layout(plain.subarray(3)))!
  assert.equal(fromPlain, s)
  assert.deepEqual([...plain.subarray(3)], [...sent])
  const middle = wire({ answers: [A], additionals: [opt(), GLUE] })
  assert.equal(storedForm(middle, layout(middle)), undefined)
})

test('answersQuestion: direct, through a CNAME chain, ANY; not a dangling CNAME or a loop', () => {
  const answers = (records: string[], type = 1, klass = 1) => {
    const buf = wire({ answers: records.map(rr) })
    return answersQuestion(buf, layout(buf), 'a.example.org.', type, klass)
  }
  assert.equal(answers(['a.example.org. 60 IN A 192.0.2.1']), true)
  assert.equal(answers(['A.Example.Org. 60 IN A 192.0.2.1']), true)
  const ab = 'a.example.org. 60 IN CNAME b.example.org.'
  const bc = 'b.example.org. 60 IN CNAME c.example.net.'
  assert.equal(answers([ab, bc, 'c.example.net. 60 IN A 192.0.2.1']), true)
  assert.equal(answers(['a.example.org. 60 IN CNAME b.example.org.'], 5), true)
  assert.equal(answers(['a.example.org. 60 IN TXT "x"'], 255), true)
  assert.equal(answers(['a.example.org. 60 IN CNAME b.example.org.']), false)
  assert.equal(answers([ab, 'b.example.org. 60 IN CNAME a.example.org.']), false)
  assert.equal(answers(['other.example.org. 60 IN A 192.0.2.1']), false)
  // CoreDNS 1.14.7's rules: the type must sit at the end of the chain, an owner has one target,
  // records of another class do not count (unless the question asks for any class)
  assert.equal(answers([ab, 'a.example.org. 60 IN A 192.0.2.1']), false, 'beside the CNAME, not at its end')
  const twice = [ab, 'a.example.org. 60 IN CNAME c.example.net.', 'b.example.org. 60 IN A 192.0.2.1']
  assert.equal(answers(twice), false, 'two targets')
  assert.equal(answers(twice, 5), false, 'two targets, CNAME asked')
  assert.equal(answers([ab, 'a.example.org. 60 IN CNAME B.example.org.', 'b.example.org. 60 IN A 192.0.2.1']), true,
    'the same target twice')
  assert.equal(answers(['a.example.org. 60 CH A 192.0.2.1']), false, 'another class')
  assert.equal(answers(['a.example.org. 60 CH A 192.0.2.1'], 1, 255), true, 'any class asked')
  assert.equal(answers(['b.example.org. 60 IN TXT "x"'], 255), false, 'ANY: at the name only')
})

test('render: flags from query and entry; every TTL patched; client ID and question', () => {
  const buf = wire({ flags: Flag.RA | Flag.AD | Flag.AA, answers: [A, A], authorities: [rr(SOA)] })
  const e = storedForm(buf, layout(buf))!
  const decode = (b: Uint8Array) => dnsPacket.decode(Buffer.from(b))
  const plain = decode(render(e, request('A.EXAMPLE.org', 'A', { id: 77, cd: true }), 42))
  assert.equal(plain.id, 77)
  assert.equal(plain.questions?.[0]?.name, 'A.EXAMPLE.org')
  const { flag_qr: qr, flag_aa: aa, flag_rd: rd, flag_cd: cd, flag_ra: ra, flag_ad: ad } = plain
  assert.deepEqual([qr, aa, rd, cd, ra, ad], [true, true, true, true, true, false])
  const records = [...(plain.answers ?? []), ...(plain.authorities ?? [])]
  assert.deepEqual(records.map((a) => (a as { ttl: number }).ttl), [42, 42, 42])
  const dnssec = decode(render(e, request('a.example.org', 'A', { do: true }), 1))
  assert.equal(dnssec.flag_ad, true)
  assert.equal(dnssec.flag_cd, false)
})

test('cacheType: an expired RRSIG counts when the query had DO, the reply\'s OPT taken out', () => {
  const buf = wire({ answers: [A, rrsig(-1, -9)] })
  assert.equal(cacheType(buf, layout(buf), NOW, true), 'OTHERERROR')
  assert.equal(cacheType(buf, layout(buf), NOW, false), 'NOERROR')
})

test('storedForm: a reply longer than any DNS message (a plugin\'s) is not stored', () => {
  const txt = { type: 'TXT', name: 'a.example.org', ttl: 60, data: 'x'.repeat(250) } as Answer
  const huge = wire({ answers: Array(300).fill(txt) })
  assert.ok(huge.length > 65535)
  assert.equal(storedForm(huge, layout(huge)), undefined)
  const most = wire({ answers: Array(200).fill(txt) })
  assert.ok(most.length <= 65535)
  assert.equal(storedLength(storedForm(most, layout(most))!), most.length)
})

test('storedForm: every OPT at the end removed (an upstream may send two)', () => {
  const two = wire({ answers: [A], additionals: [GLUE, opt(), opt()] })
  const s = storedForm(two, layout(two))!
  assert.equal(storedLength(s), two.length - 22)
  assert.deepEqual(decodeStored(s).additionals?.map((a) => a.type), ['A'])
})
