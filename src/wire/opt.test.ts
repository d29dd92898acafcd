import assert from 'node:assert/strict'
import { test } from 'node:test'
import dnsPacket from 'dns-packet'
import { layout, u16 } from './message.ts'
import { trailingOpts, withoutOpt } from './opt.ts'

const A = { name: 'a.example.org', type: 'A', ttl: 60, data: '192.0.2.1' } as const
const GLUE = { name: 'ns.example.org', type: 'A', ttl: 60, data: '192.0.2.53' } as const
const cookie = (ext = 0) => ({
  type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: ext,
  options: [{ code: 10, data: Buffer.from('0011223344556677aabbccddeeff0011', 'hex') }],
}) as never

function reply(additionals: unknown[]): Uint8Array {
  return dnsPacket.encode({
    id: 1, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name: 'a.example.org', type: 'A', class: 'IN' }],
    answers: [A], additionals: additionals as never,
  })
}

test('withoutOpt: the OPT that ends a reply goes, ARCOUNT follows; the rest stays byte for byte', () => {
  const plain = reply([GLUE])
  const msg = reply([GLUE, cookie()])
  const out = withoutOpt(msg)
  assert.equal(u16(out, 10), 1)
  assert.deepEqual([...out], [...plain])
  const d = dnsPacket.decode(Buffer.from(out))
  assert.deepEqual(d.additionals?.map((r) => r.type), ['A'])
})

test('withoutOpt: unchanged without an OPT, with one in the middle, or with extended rcode bits', () => {
  const none = reply([GLUE])
  assert.equal(withoutOpt(none), none)
  const middle = reply([cookie(), GLUE])
  assert.equal(trailingOpts(middle, layout(middle)), -1)
  assert.equal(withoutOpt(middle), middle)
  const badCookie = reply([cookie(1)]) // BADCOOKIE (23): its upper bits live in the OPT
  assert.equal(withoutOpt(badCookie), badCookie)
  assert.equal(u16(badCookie, 10), 1)
  const runt = new Uint8Array(5)
  assert.equal(withoutOpt(runt), runt)
})
