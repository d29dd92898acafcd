// dns64 end to end: the real tsdns forwarding to a real unbound that has only A records for a
// name, answering dig and kdig AAAA queries over UDP and TCP from ::1 with AAAA records made from
// those A records, leaving IPv4 clients, real AAAA records and NXDOMAIN alone (unless told), and
// counting translations on /metrics. Everything on loopback.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  dig,
  freePort,
  startTsdns,
  startUnbound,
  type Tsdns,
  type Unbound,
} from '../helpers/index.ts'

let unbound: Unbound
let tsdns: Tsdns
let port: number
let allPort: number
let mport: number

before(async () => {
  unbound = await startUnbound({
    zones: ['test'],
    records: [
      'test. 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 120',
      'ipv4only.test. 300 IN A 192.0.2.33',
      'ipv4only.test. 300 IN A 198.51.100.1',
      'dual.test. 300 IN A 192.0.2.44',
      'dual.test. 300 IN AAAA 2001:db8::44',
    ],
    tls: false,
  })
  port = await freePort('both', '::1')
  allPort = await freePort('both', '::1')
  mport = await freePort('tcp')
  tsdns = await startTsdns(`
.:${port} {
  prometheus 127.0.0.1:${mport}
  dns64
  forward . 127.0.0.1:${unbound.port}
}
.:${allPort} {
  dns64 64:ff9b:1::/48 {
    translate_all
    allow_ipv4
  }
  forward . 127.0.0.1:${unbound.port}
}
`)
})

after(async () => {
  await tsdns?.stop()
  await unbound?.stop()
})

const cases = (['dig', 'kdig'] as const).flatMap((tool) =>
  (['udp', 'tcp'] as const).map((proto) => [tool, proto] as const),
)

for (const [tool, proto] of cases) {
  const opts = proto === 'tcp' ? ['+tcp'] : []
  const aaaa = (name: string, server = '::1', p = port) =>
    dig({ tool, server, port: p, name, type: 'AAAA', opts })

  test(`${tool} ${proto}: an IPv6 client gets AAAA records made from an A-only name`, async () => {
    const r = await aaaa('ipv4only.test')
    assert.equal(r.status, 'NOERROR', r.raw)
    assert.deepEqual(r.question, [{ name: 'ipv4only.test.', class: 'IN', type: 'AAAA' }])
    assert.deepEqual(
      r.answer.map((a) => [a.name, a.ttl, a.type, a.data]).sort(),
      [
        // capped by the TTL of the SOA in the empty AAAA reply: unbound gives it the SOA minimum
        ['ipv4only.test.', 120, 'AAAA', '64:ff9b::c000:221'],
        ['ipv4only.test.', 120, 'AAAA', '64:ff9b::c633:6401'],
      ],
    )
  })

  test(`${tool} ${proto}: real AAAA records, NXDOMAIN, IPv4 clients are left alone`, async () => {
    const dual = await aaaa('dual.test')
    assert.deepEqual(dual.answer.map((a) => a.data), ['2001:db8::44'])
    const nx = await aaaa('missing.test')
    assert.deepEqual([nx.status, nx.answer.length], ['NXDOMAIN', 0])
    const v4 = await aaaa('ipv4only.test', '127.0.0.1')
    assert.deepEqual([v4.status, v4.answer.length], ['NOERROR', 0])
  })

  test(`${tool} ${proto}: translate_all and allow_ipv4 under a /48 prefix`, async () => {
    const r = await aaaa('dual.test', '127.0.0.1', allPort)
    assert.equal(r.status, 'NOERROR', r.raw)
    // 192.0.2.44 after 64:ff9b:1::/48, skipping bits 64-71 (RFC 6052)
    assert.deepEqual(r.answer.map((a) => a.data), ['64:ff9b:1:c000:2:2c00::'])
  })
}

test('translations are counted per server', async () => {
  const res = await fetch(`http://127.0.0.1:${mport}/metrics`)
  const text = await res.text()
  const series = `coredns_dns64_requests_translated_total{server="dns://:${port}"}`
  const line = text.split('\n').find((l) => l.startsWith(series))
  assert.ok(line, text.split('\n').filter((l) => l.includes('dns64')).join('\n'))
  assert.ok(Number(line.split(' ').at(-1)) >= 4, line)
})
