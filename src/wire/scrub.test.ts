import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { badVersReply, headerReply, rcodeReply } from './reply.ts'
import { parseQuery, WireRequest } from './request.ts'
import { scrub } from './scrub.ts'

type Option = { code: number; data: Buffer }

function req(
  edns?: { size: number; do?: boolean; options?: Option[] },
  proto: 'udp' | 'tcp' = 'udp',
): WireRequest {
  const buf = dnsPacket.encode({
    id: 777,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED,
    questions: [{ name: 'big.example.org', type: 'TXT', class: 'IN' }],
    additionals: edns
      ? [{
        type: 'OPT', name: '.', udpPayloadSize: edns.size, flags: edns.do ? dnsPacket.DNSSEC_OK : 0,
        options: edns.options ?? [],
      } as never]
      : [],
  })
  const r = parseQuery(buf, proto)
  assert.ok(r instanceof WireRequest)
  return r
}

function reply(n: number, withOpt = false): Uint8Array {
  return dnsPacket.encode({
    id: 1,
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name: 'big.example.org', type: 'TXT', class: 'IN' }],
    answers: Array.from({ length: n }, (_, i) => ({
      name: 'big.example.org',
      type: 'TXT' as const,
      ttl: 60,
      data: 'x'.repeat(100) + i,
    })),
    additionals: withOpt
      ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: dnsPacket.DNSSEC_OK } as never]
      : [],
  })
}

const decode = (b: Uint8Array) => dnsPacket.decode(Buffer.from(b))

test('ID patched; no EDNS, fits: bytes pass unchanged', () => {
  const out = decode(scrub(reply(2), req()))
  assert.equal(out.id, 777)
  assert.equal(out.answers?.length, 2)
  assert.equal(out.additionals?.length, 0)
})

test('no EDNS: truncated to 512 with TC, prefix of RRs kept', () => {
  const out = scrub(reply(10), req())
  assert.ok(out.length <= 512)
  const m = decode(out)
  assert.ok(m.flag_tc)
  assert.ok((m.answers?.length ?? 0) >= 3 && (m.answers?.length ?? 0) < 10)
})

test("client's OPT is mirrored: size, version 0, DO when the client set it", () => {
  const m = decode(scrub(reply(1), req({ size: 1232, do: true })))
  const opt = m.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize: number; flags: number } | undefined
  assert.equal(opt?.udpPayloadSize, 1232)
  assert.equal((opt?.flags ?? 0) & dnsPacket.DNSSEC_OK, dnsPacket.DNSSEC_OK)
  const m2 = decode(scrub(reply(1, true), req({ size: 1400 })))
  const opt2 = m2.additionals?.filter((a) => a.type === 'OPT') as Array<{ udpPayloadSize: number; flags: number }>
  assert.equal(opt2.length, 1, "the reply's own OPT is rewritten, not duplicated")
  assert.equal(opt2[0]?.udpPayloadSize, 1400)
  // CoreDNS's SizeAndDo keeps the reply's own flags (TTL &= 0xff00) and only ever adds DO
  assert.equal((opt2[0]?.flags ?? 0) & dnsPacket.DNSSEC_OK, dnsPacket.DNSSEC_OK, "the reply's DO stays")
})

const optionsOf = (b: Uint8Array) => {
  const opt = decode(b).additionals?.find((a) => a.type === 'OPT') as { options: Option[] } | undefined
  return opt?.options.map((o) => [o.code, o.data.toString('hex')])
}

test("the client's cookie, NSID, EXPIRE, keepalive and padding come back; other options do not", () => {
  const cookie = { code: 10, data: Buffer.from('0123456789abcdef', 'hex') }
  const nsid = { code: 3, data: Buffer.alloc(0) }
  const padding = { code: 12, data: Buffer.alloc(7) }
  const subnet = { code: 8, data: Buffer.from('0001180ac00002', 'hex') }
  const local = { code: 65001, data: Buffer.from('ff', 'hex') }
  // only the cookie (dig's default): the fast path copies it
  assert.deepEqual(optionsOf(scrub(reply(1), req({ size: 1232, options: [cookie] }))),
    [[10, '0123456789abcdef']])
  const mixed = req({ size: 1232, options: [subnet, cookie, local, nsid, padding] })
  const expected = [[10, '0123456789abcdef'], [3, ''], [12, '00000000000000']]
  assert.deepEqual(optionsOf(scrub(reply(1), mixed)), expected)
  // the general path (truncation to the client's size) echoes the same
  const big = scrub(reply(30), mixed)
  assert.ok(decode(big).flag_tc && big.length <= 1232)
  assert.deepEqual(optionsOf(big), expected)
  assert.deepEqual(optionsOf(scrub(reply(1), req({ size: 1232, options: [subnet, local] }))), [])
  // a reply with an OPT of its own (an upstream's) keeps its options, not the client's
  assert.deepEqual(optionsOf(scrub(reply(1, true), req({ size: 1232, options: [cookie] }))), [])
})

test('EDNS truncation keeps the OPT and sets TC; TCP never truncates', () => {
  const out = scrub(reply(30), req({ size: 1232 }))
  assert.ok(out.length <= 1232)
  const m = decode(out)
  assert.ok(m.flag_tc)
  assert.equal(m.additionals?.at(-1)?.type, 'OPT')
  const tcp = decode(scrub(reply(30), req({ size: 1232 }, 'tcp')))
  assert.equal(tcp.answers?.length, 30)
  assert.ok(!tcp.flag_tc)
})

test('server replies: header-only, SetRcode, BADVERS', () => {
  const r = req({ size: 4096 })
  const hb = headerReply(r.wire, 1)
  const h = decode(hb)
  assert.equal(h.id, 777)
  assert.equal(hb[3]! & 0xf, 1, 'FORMERR')
  assert.equal(h.questions?.length, 0)
  const sb = rcodeReply(r, 5)
  const s = decode(sb)
  assert.equal(sb[3]! & 0xf, 5, 'REFUSED')
  assert.ok(s.flag_rd && s.flag_cd && !s.flag_ra && !s.flag_aa, 'RD and CD copied, no RA')
  assert.equal(s.questions?.[0]?.name, 'big.example.org')
  const b = badVersReply(r)
  const opt = decode(b).additionals?.[0] as { extendedRcode?: number; ednsVersion?: number } | undefined
  assert.equal(b[3]! & 0xf, 0, 'BADVERS lives in the OPT: header rcode 0')
  assert.equal(opt?.extendedRcode, 1)
  assert.equal(opt?.ednsVersion, 0)
})
