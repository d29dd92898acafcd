import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import type { Handler } from '../../src/plugin/plugin.ts'
import { LoopDetector } from './loop.ts'

const next: Handler = { name: 'next', serveDNS: () => 0 }

test('the probe seen a third time is a loop; other queries pass', () => {
  const loops: string[] = []
  const d = new LoopDetector('example.org.', (m) => loops.push(m))
  assert.match(d.qname, /^\d+\.\d+\.example\.org\.$/)
  const h = d.plugin()(next, { server: 'dns://:53', zones: ['example.org.'] })
  for (let i = 0; i < 5; i++) h.serveDNS(testContext, new Recorder(), request('other.example.org', 'HINFO'))
  assert.equal(loops.length, 0)
  for (let i = 0; i < 2; i++) h.serveDNS(testContext, new Recorder(), request(d.qname, 'HINFO'))
  assert.equal(loops.length, 0, 'twice is not yet a loop')
  h.serveDNS(testContext, new Recorder(), request(d.qname, 'HINFO'))
  assert.equal(loops.length, 1)
  // CoreDNS names the probed listen address (a wildcard one as ":53"), not the socket's
  assert.match(loops[0]!, /^Loop \(10\.240\.0\.1:40212 -> :53\) detected for zone "example\.org\."/)
})

test('once a probe was answered, detection is off', () => {
  const loops: string[] = []
  const d = new LoopDetector('.', (m) => loops.push(m))
  d.disabled = true
  const h = d.plugin()(next, { server: 'dns://:53', zones: ['.'] })
  for (let i = 0; i < 4; i++) h.serveDNS(testContext, new Recorder(), request(d.qname, 'HINFO'))
  assert.equal(loops.length, 0)
})

test('IPv6 addresses in the message are bracketed, as Go joins host and port', () => {
  const loops: string[] = []
  const d = new LoopDetector('.', (m) => loops.push(m))
  const h = d.plugin()(next, { server: 'dns://[::1]:1053', zones: ['.'] })
  const from = new Recorder({ address: '::1', port: 40212, family: 6 })
  for (let i = 0; i < 3; i++) h.serveDNS(testContext, from, request(d.qname, 'HINFO'))
  assert.match(loops[0]!, /^Loop \(\[::1\]:40212 -> \[::1\]:1053\) detected for zone "\."/)
})
