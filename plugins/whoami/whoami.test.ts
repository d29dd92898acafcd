import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import { dig, freePort, startTsdns } from '../../test/helpers/index.ts'
import { whoami } from './whoami.ts'

test('IPv4 client over UDP: A and SRV in additional, AA set, empty answer', () => {
  const w = new Recorder({ address: '10.0.0.7', port: 40212, family: 4 })
  assert.equal(whoami.serveDNS(testContext, w, request('Example.ORG', 'A')), 0)
  const m = w.msg
  assert.ok(m.flag_aa)
  assert.equal(m.answers?.length, 0)
  assert.deepEqual(
    m.additionals?.map((a) => [a.name, a.type, (a as { ttl?: number }).ttl, (a as { data?: unknown }).data]),
    [
      ['Example.ORG', 'A', 0, '10.0.0.7'],
      ['_udp.Example.ORG', 'SRV', 0, { priority: 0, weight: 0, port: 40212, target: '.' }],
    ],
  )
  assert.equal(w.by, 'whoami')
})

test('IPv6 client over TCP, and the root name', () => {
  const w = new Recorder({ address: '::1', port: 5353, family: 6 }, 'tcp')
  whoami.serveDNS(testContext, w, request('.', 'NS', { proto: 'tcp' }))
  const [aaaa, srv] = w.msg.additionals ?? []
  assert.equal(aaaa?.type, 'AAAA')
  assert.equal((aaaa as { data?: string }).data, '::1')
  assert.equal(srv?.name, '_tcp')
})

test('a name with no room for the _udp label is SERVFAIL, not a reply with a 256-octet name', () => {
  const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.` // 252 octets, 257 with _udp
  const w = new Recorder()
  assert.equal(whoami.serveDNS(testContext, w, request(long, 'A')), 2)
  assert.equal(w.wire, undefined)
  const fits = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(54)}.` // 248 octets, 253 with _udp
  assert.equal(whoami.serveDNS(testContext, new Recorder(), request(fits, 'A')), 0)
})

test('dig: the question comes back as sent for types and classes a message encoder may not know', async (t) => {
  // HTTPS, SVCB and TYPE65000 came back as TYPE0 and class NONE as CLASS0: dig rejected the
  // reply ("Question section mismatch") and timed out. CoreDNS copies the question (SetReply).
  const port = await freePort('both')
  const srv = await startTsdns({ corefile: `.:${port} {\n bind 127.0.0.1\n chaos\n whoami\n}\n` })
  t.after(() => srv.stop())
  for (const type of ['HTTPS', 'SVCB', 'TYPE65000', 'A']) {
    const r = await dig({ port, name: 'Who.Example.org', type })
    assert.equal(r.status, 'NOERROR', type)
    assert.deepEqual(r.question, [{ name: 'Who.Example.org.', class: 'IN', type }])
    assert.ok(r.flags.includes('aa'))
    assert.deepEqual(
      r.additional.filter((a) => a.type !== 'OPT').map((a) => [a.name, a.ttl, a.class, a.type]),
      [
        ['Who.Example.org.', 0, 'IN', 'A'],
        ['_udp.Who.Example.org.', 0, 'IN', 'SRV'],
      ],
    )
    assert.equal(r.additional.find((a) => a.type === 'A')?.data, '127.0.0.1')
  }
  const none = await dig({ tool: 'kdig', port, name: 'who.example.org', class: 'NONE', opts: ['+tcp'] })
  assert.equal(none.status, 'NOERROR')
  assert.equal(none.question[0]?.class, 'NONE')
  assert.deepEqual(
    none.additional.map((a) => [a.name, a.class, a.type]),
    [
      ['who.example.org.', 'NONE', 'A'],
      ['_tcp.who.example.org.', 'NONE', 'SRV'],
    ],
  )
})
