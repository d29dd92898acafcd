// rewrite end to end: the real tsdns rewriting dig and kdig queries over UDP and TCP before
// forwarding them to a real unbound, and turning the replies back (name regex with answer auto,
// exact names, answer name/value, TTL ranges, type), plus an EDNS0 local option that a scripted
// upstream sees while the client gets no OPT it did not ask for. Everything on loopback.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  answer,
  buildQuery,
  decode,
  dig,
  fakeUpstream,
  freePort,
  rcodeName,
  startTsdns,
  startUnbound,
  udpQuery,
  type FakeUpstream,
  type Tsdns,
  type Unbound,
} from '../helpers/index.ts'

let unbound: Unbound
let fake: FakeUpstream
let tsdns: Tsdns
let port: number

before(async () => {
  unbound = await startUnbound({
    zones: ['consul', 'example.org', 'ttl.test'],
    records: [
      // unbound serves this without recursion: the CNAME alone, not its target's A
      'ftp.service.us-west-1.consul. 300 IN CNAME www.ftp.service.us-west-1.consul.',
      'db.service.us-west-1.consul. 300 IN A 10.10.10.10',
      'blue.example.org. 300 IN A 10.0.0.2',
      'blue.example.org. 300 IN HINFO "tsdns" "linux"',
      'srv.service.eu.consul. 300 IN SRV 0 100 53 node1.service.eu.consul.',
      'short.ttl.test. 5 IN A 10.0.1.1',
      'long.ttl.test. 86400 IN A 10.0.1.2',
    ],
    tls: false,
  })
  fake = await fakeUpstream((q) => answer(q, [`${q.name} 60 IN A 192.0.2.7`]))
  port = await freePort('both')
  tsdns = await startTsdns(`
.:${port} {
  bind 127.0.0.1
  rewrite name regex (.*)-(us-west-1)\\.example\\.org {1}.service.{2}.consul answer auto
  rewrite continue name exact red.example.org blue.example.org
  rewrite type ANY HINFO
  rewrite stop {
    name regex (.*)\\.eu\\.example\\.com {1}.service.eu.consul
    answer name (.*)\\.service\\.eu\\.consul {1}.eu.example.com
    answer value (.*)\\.service\\.eu\\.consul {1}.eu.example.com
  }
  rewrite ttl suffix .ttl.test. 30-3600
  forward . 127.0.0.1:${unbound.port}
}
edns.test:${port} {
  bind 127.0.0.1
  rewrite edns0 local set 0xffee tsdns
  forward . ${fake.addr}
}
`)
})

after(async () => {
  await tsdns?.stop()
  await fake?.close()
  await unbound?.stop()
})

const cases = (['dig', 'kdig'] as const).flatMap((tool) =>
  (['udp', 'tcp'] as const).map((proto) => [tool, proto] as const),
)

for (const [tool, proto] of cases) {
  const opts = proto === 'tcp' ? ['+tcp'] : []
  const ask = (name: string, type = 'A') => dig({ tool, port, name, type, opts })

  test(`${tool} ${proto}: name regex with answer auto, the client sees its own name`, async () => {
    const r = await ask('db-us-west-1.example.org')
    assert.equal(r.status, 'NOERROR', r.raw)
    assert.deepEqual(r.errors.filter((e) => /mismatch/i.test(e)), [])
    assert.deepEqual(r.question, [{ name: 'db-us-west-1.example.org.', class: 'IN', type: 'A' }])
    assert.deepEqual(
      r.answer.map((a) => [a.name, a.type, a.data]),
      [['db-us-west-1.example.org.', 'A', '10.10.10.10']],
    )
    // a CNAME's owner and target are both mapped back
    const c = await ask('ftp-us-west-1.example.org')
    assert.deepEqual(
      c.answer.map((a) => [a.name, a.type, a.data]),
      [['ftp-us-west-1.example.org.', 'CNAME', 'www.ftp-us-west-1.example.org.']],
    )
  })

  test(`${tool} ${proto}: exact name and type rewrites are undone in the reply`, async () => {
    const a = await ask('Red.Example.Org')
    assert.equal(a.status, 'NOERROR', a.raw)
    // the question as sent, case included (kdig sends names lowercased)
    const sent = tool === 'dig' ? 'Red.Example.Org.' : 'red.example.org.'
    assert.deepEqual(a.question, [{ name: sent, class: 'IN', type: 'A' }])
    const answer = a.answer.map((x) => [x.name.toLowerCase(), x.data])
    assert.deepEqual(answer, [['red.example.org.', '10.0.0.2']])
    const any = await ask('red.example.org', 'ANY')
    assert.deepEqual(any.question, [{ name: 'red.example.org.', class: 'IN', type: 'ANY' }])
    assert.deepEqual(any.answer.map((x) => [x.name, x.type]), [['red.example.org.', 'HINFO']])
  })

  test(`${tool} ${proto}: answer name and answer value (SRV target)`, async () => {
    const r = await ask('srv.eu.example.com', 'SRV')
    assert.equal(r.status, 'NOERROR', r.raw)
    assert.deepEqual(
      r.answer.map((x) => [x.name, x.data]),
      [['srv.eu.example.com.', '0 100 53 node1.eu.example.com.']],
    )
  })

  test(`${tool} ${proto}: ttl range clamps both ways`, async () => {
    const short = await ask('short.ttl.test')
    const long = await ask('long.ttl.test')
    assert.deepEqual([short.answer[0]?.ttl, long.answer[0]?.ttl], [30, 3600])
  })
}

test('edns0 local set reaches the upstream; the EDNS-less client gets no OPT back', async () => {
  const before = fake.queries.length
  const reply = await udpQuery('127.0.0.1', port, buildQuery('a.edns.test.', 'A'))
  assert.ok(reply)
  const m = decode(reply)
  assert.equal(rcodeName(reply), 'NOERROR')
  assert.equal(m.additionals?.length ?? 0, 0)
  const seen = fake.queries.slice(before)
  assert.equal(seen.length, 1)
  const options = (seen[0]!.edns?.options ?? []) as unknown as Array<{ code: number; data: Buffer }>
  const local = options.find((o) => o.code === 0xffee)
  assert.equal(Buffer.from(local?.data ?? []).toString(), 'tsdns')
})
