// The cache over real sockets: dig against tsdns forwarding to a real unbound. The second answer
// comes from the cache (AA set, TTL lower); it keeps answering when unbound is gone, stale
// entries included with serve_stale; the hit counters show on /metrics.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  dig, fakeUpstream, freePort, freePorts, reply, rr, sleep, startTsdns, startUnbound, type Tsdns,
  type Unbound,
} from '../helpers/index.ts'

let unbound: Unbound
let tsdns: Tsdns
let port: number
let metricsPort: number

before(async () => {
  unbound = await startUnbound({
    tls: false,
    zones: ['example.org'],
    records: [
      'example.org. 3600 IN SOA ns.example.org. admin.example.org. 1 3600 600 86400 60',
      'www.example.org. 300 IN A 192.0.2.1',
      'tcp.example.org. 300 IN A 192.0.2.2',
      'short.example.org. 1 IN A 192.0.2.3',
    ],
  })
  const ports = await freePorts(2, 'both')
  port = ports[0]!
  metricsPort = ports[1]!
  tsdns = await startTsdns(`
.:${port} {
    bind 127.0.0.1
    cache {
        success 9984 3600 1
        serve_stale 1h
    }
    forward . ${unbound.host}:${unbound.port}
    prometheus 127.0.0.1:${metricsPort}
}
`)
})

after(async () => {
  await tsdns?.stop()
  await unbound?.stop()
})

for (const proto of ['udp', 'tcp'] as const) {
  test(`${proto}: the second answer comes from the cache with a lower TTL and aa`, async () => {
    const opts = proto === 'tcp' ? ['+tcp'] : []
    const name = proto === 'tcp' ? 'tcp.example.org' : 'www.example.org'
    const first = await dig({ port, name, opts })
    assert.equal(first.status, 'NOERROR')
    assert.equal(first.answer[0]?.ttl, 300)
    await sleep(1100)
    const second = await dig({ port, name: name.toUpperCase(), opts })
    assert.equal(second.status, 'NOERROR')
    assert.ok(second.flags.includes('aa'), second.raw)
    for (const flag of ['qr', 'rd', 'ra']) assert.ok(second.flags.includes(flag), flag)
    const ttl = second.answer[0]!.ttl
    assert.ok(ttl < 300 && ttl >= 297, `ttl ${ttl}`)
    assert.equal(second.answer[0]?.name, `${name.toUpperCase()}.`, 'the client sees its own case')
    assert.equal(second.answer[0]?.data, first.answer[0]?.data)
    assert.equal(second.ednsUdp, 1232, 'the client EDNS is mirrored on a hit')
  })
}

test('NXDOMAIN is cached with the SOA and answered with aa', async () => {
  const first = await dig({ port, name: 'nope.example.org' })
  assert.equal(first.status, 'NXDOMAIN')
  const second = await dig({ port, name: 'nope.example.org' })
  assert.equal(second.status, 'NXDOMAIN')
  assert.ok(second.flags.includes('aa'))
  assert.equal(second.authority[0]?.type, 'SOA')
})

test('upstream gone: cached names still resolve, expired ones are served stale', async () => {
  assert.equal((await dig({ port, name: 'short.example.org' })).answer[0]?.data, '192.0.2.3')
  await unbound.stop()
  await sleep(2100) // short.example.org (TTL 1) expired over a second ago: stale, not TTL 0
  const cached = await dig({ port, name: 'www.example.org' })
  assert.equal(cached.status, 'NOERROR')
  assert.equal(cached.answer[0]?.data, '192.0.2.1')
  const stale = await dig({ port, name: 'short.example.org' })
  assert.equal(stale.status, 'NOERROR')
  assert.equal(stale.answer[0]?.data, '192.0.2.3')
  assert.equal(stale.answer[0]?.ttl, 0)
})

test('/metrics: requests, hits by type, misses and stale answers', async () => {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${tsdns.stdout().join('\n')}\n${tsdns.stderr().join('\n')}`)
  })
  const text = await res.text()
  const value = (metric: string, labels: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(labels))
    assert.ok(line, `${metric} ${labels} in\n${text}`)
    return Number(line.split(' ').at(-1))
  }
  const server = `server="dns://127.0.0.1:${port}"`
  assert.equal(value('coredns_cache_hits_total', `type="success"`), 4)
  assert.equal(value('coredns_cache_hits_total', `type="denial"`), 1)
  assert.equal(value('coredns_cache_requests_total', server), 9)
  assert.equal(value('coredns_cache_misses_total', server), 4)
  assert.equal(value('coredns_cache_served_stale_total', server), 1)
  assert.equal(value('coredns_cache_prefetch_total', server), 1, 'the stale entry\'s refresh')
  assert.equal(value('coredns_cache_entries', `type="success"`), 3)
  const denial = `coredns_cache_entries{${server},type="denial",zones=".",view=""} 1`
  assert.ok(text.split('\n').includes(denial), denial)
})

test('a truncated reply: passed on with TC and its TTLs capped as CoreDNS does, not cached',
  async (t) => {
    const up = await fakeUpstream((q) =>
      reply(q, { tc: true, answers: [rr(`${q.name} 7200 IN A 192.0.2.7`)] }))
    t.after(() => up.close())
    const p = await freePort()
    const ts = await startTsdns(`.:${p} {\n bind 127.0.0.1\n cache\n forward . ${up.host}:${up.port}\n}`)
    t.after(() => ts.stop())
    for (let i = 0; i < 2; i++) {
      const r = await dig({ port: p, name: 'tc.example.org', opts: ['+ignore'] })
      assert.equal(r.status, 'NOERROR', r.raw)
      assert.ok(r.flags.includes('tc'), r.raw)
      assert.ok(!r.flags.includes('aa'), 'never answered from the cache')
      assert.equal(r.answer[0]?.ttl, 3600, 'capped to the success TTL (CoreDNS cache writer)')
    }
    assert.equal(up.queries.length, 2)
  })
