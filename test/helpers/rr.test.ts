// Zone-text records for the fake upstream, checked by encoding them and reading them back.

import { it } from 'node:test'
import assert from 'node:assert/strict'
import * as dnsPacket from 'dns-packet'
import { answerData } from './query.ts'
import { rr } from './rr.ts'

it('rr parses the common types; ttl and class are optional', () => {
  assert.deepEqual(rr('example.org. 60 IN A 192.0.2.1'),
    { name: 'example.org', ttl: 60, class: 'IN', type: 'A', data: '192.0.2.1' })
  assert.deepEqual(rr('example.org AAAA ::1'),
    { name: 'example.org', ttl: 3600, class: 'IN', type: 'AAAA', data: '::1' })
  assert.deepEqual((rr('. 10 CH txt "a b"  c') as { data: unknown }).data, ['a b', 'c'])
  const records = [
    rr('a.example. 60 IN CNAME b.example.'),
    rr('a.example. 60 IN MX 10 mx.example.'),
    rr('_dns._udp.example. 60 IN SRV 0 5 53 ns.example.'),
    rr('example. 60 IN SOA ns.example. host.example. 1 3600 600 86400 60'),
    rr('txt.example. 60 IN TXT "with \\"quote\\""'),
  ]
  const wire = dnsPacket.encode({ type: 'response', id: 1, answers: records })
  assert.deepEqual(answerData(wire), [
    'b.example',
    '{"preference":10,"exchange":"mx.example."}'.replace('mx.example.', 'mx.example'),
    '{"priority":0,"weight":5,"port":53,"target":"ns.example"}',
    '{"mname":"ns.example","rname":"host.example","serial":1,"refresh":3600,"retry":600,' +
      '"expire":86400,"minimum":60}',
    'with "quote"',
  ])
  assert.throws(() => rr('x.example. 60 IN HINFO a b'), /unsupported type 'HINFO'/)
  assert.throws(() => rr('x.example. 60 IN MX 10'), /MX needs 2 fields/)
})
