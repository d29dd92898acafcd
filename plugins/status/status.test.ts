import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { replyMsg } from '../../src/plugin/msg.ts'
import type { Handler, RequestContext } from '../../src/plugin/plugin.ts'
import { PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Recorder, request } from '../../test/dnstest.ts'
import { StatusHandler } from './handler.ts'
import { statusModel } from './model.ts'
import { DEFAULT_SUFFIXES, SearchPath } from './searchpath.ts'
import { blockStats } from './state.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const ctx: RequestContext = { server: 'dns://:53', zone: '.', resolve: () => Promise.reject(new Error('none')) }

/** Answers NXDOMAIN under cluster.local, SERVFAIL for fail.test, NOERROR otherwise, as `by`. */
const answering = (by: string): Handler => ({
  name: by,
  serveDNS(_c, w, r) {
    const rcode = r.name.endsWith('cluster.local.') ? Rcode.NXDomain : r.name === 'fail.test.' ? Rcode.ServFail : 0
    w.writeMsg(replyMsg(r, rcode), by)
    return rcode
  },
})

function from(address: string): Recorder {
  return new Recorder({ address, port: 40000, family: 4 })
}

function block(server: string) {
  return blockStats(server, ['.'], new SearchPath(DEFAULT_SUFFIXES))
}

test('a known workload: clients, names, rcodes, what the chain did, search-path waste', async () => {
  const stats = block('dns://test-workload:53')
  const h = new StatusHandler(answering('cache'), stats)
  for (let i = 0; i < 30; i++) h.serveDNS(ctx, from('10.0.0.7'), request('www.example.com'))
  for (const n of ['api.github.com.default.svc.cluster.local', 'api.github.com.svc.cluster.local', 'api.github.com.cluster.local']) {
    h.serveDNS(ctx, from('10.0.0.9'), request(n))
  }
  h.serveDNS(ctx, from('10.0.0.9'), request('fail.test'))
  const fwd = new StatusHandler(answering('forward'), stats)
  fwd.serveDNS(ctx, from('10.0.0.8'), request('new.example.com'))
  const failing: Handler = { name: 'forward', serveDNS: () => Promise.reject(new PluginError('forward', 'timeout')) }
  await assert.rejects(async () => new StatusHandler(failing, stats).serveDNS(ctx, from('10.0.0.8'), request('slow.test')))

  const b = statusModel().blocks.find((x) => x.server === 'dns://test-workload:53')!
  const w = b.windows['1m']
  assert.equal(w.queries, 36)
  assert.deepEqual(w.rcodes, { NOERROR: 31, NXDOMAIN: 3, SERVFAIL: 2 })
  assert.deepEqual(w.did, { cached: 34, forwarded: 2, local: 0, unanswered: 0 })
  assert.equal(w.hitRatio, Math.round((34 / 36) * 1000) / 1000)
  assert.equal(w.sampledOneIn, 1, 'a light load: every query in the lists')
  assert.deepEqual(w.clients.queries.top[0], { key: '10.0.0.7', count: 30, error: 0 })
  assert.deepEqual(w.clients.nxdomain.top, [{ key: '10.0.0.9', count: 3, error: 0 }])
  assert.deepEqual(w.clients.servfail.top.map((e) => [e.key, e.count]), [['10.0.0.8', 1], ['10.0.0.9', 1]])
  assert.deepEqual(w.clients.forwarded.top, [{ key: '10.0.0.8', count: 2, error: 0 }])
  assert.deepEqual(w.names.queries.top[0], { key: 'www.example.com.', count: 30, error: 0 })
  assert.equal(w.names.nxdomain.top.length, 3)
  assert.equal(w.searchPath.wasted, 3)
  const waster = w.searchPath.clients[0]!
  assert.deepEqual([waster.client, waster.wasted, waster.queries, waster.share], ['10.0.0.9', 3, 4, 0.75])
  // api.github.com.svc.cluster.local could be api.github in namespace com: the client's first
  // expansion already named api.github.com, so that is the reading
  assert.deepEqual(waster.names, ['api.github.com'])
  assert.match(waster.fix, /api\.github\.com\.\)|ndots: 2/)
  assert.ok(w.latency.p50Ms !== null && w.latency.p50Ms >= 0)
  assert.equal(b.windows['10m'].queries, 36)
  assert.equal(b.series.length, 1)
})

/**
 * Whether a count estimated from a 1-in-`oneIn` sample (each sample weighing oneIn) is `truth`:
 * its standard deviation is sqrt(truth * oneIn), and a tight loop runs fast enough for 1 in 256,
 * where 5% of 220,000 is only 1.5 of them. Within 4 (a miss once in ~15,000 runs) or 2%, the
 * larger; an estimate that forgot the weights is off by a factor of oneIn.
 */
function near(estimate: number, truth: number, oneIn: number): boolean {
  return Math.abs(estimate - truth) <= Math.max(0.02 * truth, 4 * Math.sqrt(truth * oneIn))
}

test('a flood of unique names from spoofed sources: the lists stay at their capacity', () => {
  const stats = block('dns://test-flood:53')
  const h = new StatusHandler(answering('forward'), stats)
  const size = (): number => {
    const w = statusModel().blocks.find((x) => x.server === 'dns://test-flood:53')!.windows['1m']
    return w.clients.queries.total
  }
  const flood = (n: number, offset: number): void => {
    for (let i = offset; i < offset + n; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
      h.serveDNS(ctx, from(ip), request(`x${i}.flood${i}.cluster.local`))
    }
  }
  flood(20_000, 0)
  gc()
  const before = process.memoryUsage().heapUsed
  flood(200_000, 20_000)
  gc()
  const grown = process.memoryUsage().heapUsed - before
  // 200,000 unique names and sources: kept, they would be tens of MB; the lists hold 8 x 6 x 128
  assert.ok(grown < 8 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MiB`)
  const w = statusModel().blocks.find((x) => x.server === 'dns://test-flood:53')!.windows['1m']
  assert.equal(w.queries, 220_000, 'totals are exact')
  assert.ok(w.clients.queries.top.length <= 10)
  assert.ok(w.clients.queries.bound > 0, 'the bound says how approximate the counts are')
  assert.ok(near(size(), 220_000, w.sampledOneIn), `the lists saw ~all of it, scaled: ${size()}`)
  assert.ok(w.clients.queries.top.every((e) => e.error > 0), 'no source repeats: every count is all error')
})

test('under load the lists take a sample, scaled; totals stay exact', () => {
  const stats = block('dns://test-sampled:53')
  const h = new StatusHandler(answering('cache'), stats)
  const n = 100_000
  for (let i = 0; i < n; i++) h.serveDNS(ctx, from(i % 4 === 0 ? '10.1.1.1' : '10.2.2.2'), request('busy.example.com'))
  const w = statusModel().blocks.find((x) => x.server === 'dns://test-sampled:53')!.windows['1m']
  assert.equal(w.queries, n)
  assert.ok(w.sampledOneIn > 1, `a tight loop is well above ${4096}/s: sampled 1 in ${w.sampledOneIn}`)
  const [top, second] = w.clients.queries.top
  assert.equal(top!.key, '10.2.2.2')
  assert.equal(second!.key, '10.1.1.1')
  // 75% and 25% of the queries
  assert.ok(near(top!.count, 0.75 * n, w.sampledOneIn) && near(second!.count, 0.25 * n, w.sampledOneIn),
    `${top!.count} ${second!.count}, 1 in ${w.sampledOneIn}`)
})
