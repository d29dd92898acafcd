// RR types miekg/dns names and dns-packet does not (HTTPS, SVCB, URI...): CoreDNS accepts them in
// `template CLASS TYPE` and `acl ... type`, and prints them in .Type, .Question and metric labels
// (the names themselves: src/plugin/rrtype.test.ts).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dig, freePort, startTsdns } from '../../test/helpers/index.ts'

test('dig: template IN HTTPS and acl type SVCB load and apply; .Type says HTTPS', async (t) => {
  // tsdns refused both Corefile lines ("invalid query type 'HTTPS'", "expect legal QTYPE") and
  // printed TYPE65 for .Type and the matches_total type label.
  const [port, mport] = [await freePort('both'), await freePort('tcp')]
  const srv = await startTsdns({
    corefile: `
t.test:${port} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${mport}
  acl {
    filter type SVCB
  }
  template IN HTTPS h.t.test {
    answer "{{ .Name }} 60 IN HTTPS \\# 3 000100"
  }
  template IN ANY t.test {
    answer "{{ .Name }} 60 IN TXT \\"{{ .Type }}\\""
  }
}
`,
  })
  t.after(() => srv.stop())
  const https = await dig({ port, name: 'x.h.t.test', type: 'HTTPS' })
  assert.equal(https.status, 'NOERROR')
  assert.deepEqual(
    https.answer.map((a) => [a.name, a.type]),
    [['x.h.t.test.', 'HTTPS']],
  )
  const typ = await dig({ port, name: 'x.t.test', type: 'URI' })
  assert.deepEqual(typ.answer.map((a) => a.data), ['"URI"'])
  const svcb = await dig({ port, name: 'x.t.test', type: 'SVCB' })
  assert.equal(svcb.status, 'NOERROR')
  assert.equal(svcb.answer.length, 0)
  assert.match(svcb.raw, /EDE: 17 \(Filtered\)/)
  const metrics = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
  assert.match(metrics, /coredns_template_matches_total\{[^}]*type="HTTPS"[^}]*\} 1/)
})
