import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket, { type Answer, type Packet } from 'dns-packet'
import { rr } from '../../test/helpers/rr.ts'
import { classify, typify } from './response.ts'

const NOW = 1_700_000_000

function msg(p: Partial<Packet> & { rcode?: number; qtype?: string }): Uint8Array {
  return dnsPacket.encode({
    type: 'response',
    flags: 0x8000 | (p.flags ?? 0) | (p.rcode ?? 0),
    questions: [{ name: 'example.org', type: (p.qtype ?? 'A') as never, class: 'IN' }],
    answers: p.answers ?? [],
    authorities: p.authorities ?? [],
    additionals: p.additionals ?? [],
  })
}

const soa = rr('example.org. 300 IN SOA ns.example.org. admin.example.org. 1 7200 3600 1209600 300')
const ns = rr('example.org. 300 IN NS ns.example.org.')
const a = rr('example.org. 300 IN A 192.0.2.1')

function rrsig(inception: number, expiration: number): Answer {
  return {
    name: 'example.org',
    type: 'RRSIG',
    ttl: 300,
    data: {
      typeCovered: 'A',
      algorithm: 13,
      labels: 2,
      originalTTL: 300,
      expiration,
      inception,
      keyTag: 1,
      signersName: 'example.org',
      signature: Buffer.alloc(8),
    },
  } as Answer
}

const opt = (flags: number) => ({ type: 'OPT', name: '.', udpPayloadSize: 1232, flags }) as never

test('response types and classes, as CoreDNS 1.14.7 typifies them', () => {
  const cases: [string, Uint8Array | undefined, string, string][] = [
    ['answer', msg({ answers: [a] }), 'NOERROR', 'success'],
    ['nodata', msg({ authorities: [soa] }), 'NODATA', 'denial'],
    ['nxdomain', msg({ rcode: 3, authorities: [soa] }), 'NXDOMAIN', 'denial'],
    // both checked against the CoreDNS 1.14.7 binary (log class denial)
    ['nxdomain without SOA', msg({ rcode: 3 }), 'NXDOMAIN', 'denial'],
    ['nxdomain with an answer', msg({ rcode: 3, answers: [a], authorities: [soa] }), 'OTHERERROR', 'error'],
    ['servfail', msg({ rcode: 2 }), 'SERVERERROR', 'error'],
    ['notimp', msg({ rcode: 4 }), 'SERVERERROR', 'error'],
    ['refused', msg({ rcode: 5 }), 'OTHERERROR', 'error'],
    ['delegation', msg({ authorities: [ns] }), 'DELEGATION', 'success'],
    ['empty noerror', msg({}), 'NOERROR', 'success'],
    ['axfr', msg({ qtype: 'AXFR', answers: [a] }), 'META', 'error'],
    ['notify', msg({ flags: 4 << 11 }), 'META', 'error'],
    ['update', msg({ flags: 5 << 11 }), 'UPDATE', 'error'],
    ['nothing written', undefined, 'OTHERERROR', 'error'],
    ['garbage', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), 'OTHERERROR', 'error'],
  ]
  for (const [name, wire, type, klass] of cases) {
    const t = typify(wire, NOW)
    assert.equal(t, type, name)
    assert.equal(classify(t), klass, name)
  }
})

test('expired signatures make an error only when the reply has DO set', () => {
  const expired = rrsig(NOW - 2000, NOW - 1000)
  const valid = rrsig(NOW - 1000, NOW + 1000)
  assert.equal(
    typify(msg({ answers: [a, expired], additionals: [opt(0x8000)] }), NOW),
    'OTHERERROR',
  )
  assert.equal(typify(msg({ answers: [a, expired], additionals: [opt(0)] }), NOW), 'NOERROR')
  assert.equal(typify(msg({ answers: [a, valid], additionals: [opt(0x8000)] }), NOW), 'NOERROR')
  assert.equal(
    typify(msg({ answers: [a, rrsig(NOW + 10, NOW + 20)], additionals: [opt(0x8000)] }), NOW),
    'OTHERERROR',
  )
})
