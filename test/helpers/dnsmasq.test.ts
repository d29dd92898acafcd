// dnsmasq answering --address records and forwarding to a real unbound.

import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { dig } from './dig.ts'
import { startDnsmasq } from './dnsmasq.ts'
import type { Dnsmasq } from './dnsmasq.ts'
import { answerFrom, fakeUpstream } from './fake-upstream.ts'
import { startUnbound } from './unbound.ts'
import type { Unbound } from './unbound.ts'

describe('startDnsmasq', () => {
  let u: Unbound
  let d: Dnsmasq
  before(async () => {
    u = await startUnbound({ tls: false, zones: ['example.org.'],
      records: ['www.example.org. 300 IN A 127.0.0.2'] })
    d = await startDnsmasq({
      addresses: [{ name: 'api.cluster.local', ip: '10.0.0.1' }],
      servers: [{ host: '127.0.0.1', port: u.port }],
      cacheSize: 100,
      logQueries: true,
    })
  })
  after(async () => {
    await d?.stop()
    await u?.stop()
  })

  for (const tool of ['dig', 'kdig'] as const) {
    it(`${tool}: an --address name and its subdomains answer locally`, async () => {
      for (const name of ['api.cluster.local', 'x.api.cluster.local']) {
        const r = await dig({ tool, port: d.port, name })
        assert.equal(r.status, 'NOERROR', r.raw)
        assert.equal(r.answer[0]?.data, '10.0.0.1')
      }
    })

    it(`${tool}: other names are forwarded to unbound (UDP and TCP)`, async () => {
      for (const opts of [[], ['+tcp']]) {
        const r = await dig({ tool, port: d.port, name: 'www.example.org', opts })
        assert.equal(r.status, 'NOERROR', r.raw)
        assert.equal(r.answer[0]?.data, '127.0.0.2')
      }
      assert.equal((await dig({ tool, port: d.port, name: 'example.com' })).status, 'REFUSED')
    })
  }

  it('logs queries to stderr when asked', async () => {
    await dig({ port: d.port, name: 'api.cluster.local' })
    await d.child.waitForLine(/config api\.cluster\.local is 10\.0\.0\.1/, 2000)
  })
})

describe('dnsmasq options', () => {
  it('domain-specific servers and cache-size=0 (every query goes upstream)', async (t) => {
    const up = await fakeUpstream(answerFrom(['a.corp.example. 60 IN A 192.0.2.5']))
    t.after(() => up.close())
    const d = await startDnsmasq({ cacheSize: 0,
      servers: [{ host: up.host, port: up.port, domain: 'corp.example' }] })
    t.after(() => d.stop())
    assert.ok(d.args.includes(`--server=/corp.example/127.0.0.1#${up.port}`))
    for (let i = 0; i < 2; i++) {
      assert.equal((await dig({ port: d.port, name: 'a.corp.example' })).answer[0]?.data,
        '192.0.2.5')
    }
    assert.equal(up.queries.length, 2)
    // outside the domain there is no server: dnsmasq refuses without asking anyone
    assert.equal((await dig({ port: d.port, name: 'b.other.example' })).status, 'REFUSED')
    assert.equal(up.queries.length, 2)
  })

  it('rejects with dnsmasq output on a bad option', async () => {
    await assert.rejects(startDnsmasq({ extra: ['--no-such-option'] }), /dnsmasq exited/)
  })
})
