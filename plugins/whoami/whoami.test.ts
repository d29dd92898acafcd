import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
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
