// unbound as a caching forwarder, on ::1, and its failure and cleanup paths.

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dig } from './dig.ts'
import { answerFrom, fakeUpstream } from './fake-upstream.ts'
import { answerData, buildQuery, tcpQuery, udpQuery } from './query.ts'
import { startUnbound } from './unbound.ts'

describe('startUnbound', () => {
  it('forwards to a loopback upstream and caches', async (t) => {
    const up = await fakeUpstream(answerFrom(['cached.example. 300 IN A 192.0.2.7']))
    t.after(() => up.close())
    const u = await startUnbound({ forwardTo: up, tls: false })
    t.after(() => u.stop())
    assert.equal(u.tlsPort, undefined)
    for (let i = 0; i < 3; i++) {
      const r = await dig({ port: u.port, name: 'cached.example' })
      assert.equal(r.status, 'NOERROR', r.raw)
      assert.equal(r.answer[0]?.data, '192.0.2.7')
      assert.ok(r.answer[0] && r.answer[0].ttl <= 300)
    }
    // the readiness probe is answered by unbound itself: the upstream saw one query only
    assert.equal(up.queries.length, 1)
    assert.equal(up.queries[0]?.name.toLowerCase(), 'cached.example')
    assert.equal(up.queries[0]?.from.address, '127.0.0.1')
  })

  it('serves on ::1 over UDP and TCP', async (t) => {
    const u = await startUnbound({ host: '::1', tls: false, zones: ['v6.example.'],
      records: ['v6.example. 60 IN AAAA 2001:db8::1'] })
    t.after(() => u.stop())
    for (const q of [udpQuery, tcpQuery]) {
      const reply = await q('::1', u.port, buildQuery('v6.example', 'AAAA'))
      assert.ok(reply)
      assert.deepEqual(answerData(reply), ['2001:db8::1'])
    }
  })

  it("otherwise: 'static' answers NXDOMAIN instead of REFUSED", async (t) => {
    const u = await startUnbound({ tls: false, otherwise: 'static' })
    t.after(() => u.stop())
    assert.equal((await dig({ tool: 'kdig', port: u.port, name: 'example.com' })).status,
      'NXDOMAIN')
  })

  it('rejects with unbound output when the config is bad, and cleans up', async () => {
    await assert.rejects(startUnbound({ tls: false, records: ['not a record'] }),
      /unbound exited[\s\S]*local-data/)
  })

  it('stop() ends the process and removes the temp dir; twice is fine', async () => {
    const u = await startUnbound()
    assert.ok(existsSync(u.dir))
    assert.ok(u.log().some((l) => /start of service/.test(l)))
    await Promise.all([u.stop(), u.stop()])
    assert.ok(u.child.status())
    assert.equal(existsSync(u.dir), false)
  })

  it('refuses a non-loopback forward address', async () => {
    await assert.rejects(startUnbound({ forwardTo: { host: '192.0.2.1', port: 53 } }),
      /must be loopback/)
  })
})
