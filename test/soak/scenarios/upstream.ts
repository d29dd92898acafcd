// Upstream faults under steady load. Two scripted upstreams behind one forward; after a steady
// start one of them is killed (its port closed), blackholed, slowed to 2 s, or starts answering
// SERVFAIL. Every query has a name of its own, so each is a cache miss that goes upstream. We
// measure the share answered, the share answered NOERROR, the latency and the time until service
// is normal again. Then every upstream dies: names the cache holds keep being answered
// (serve_stale), the others get SERVFAIL within forward's deadline instead of hanging.

import { answer, buildQuery, drop, fakeUpstream, freePort, rcodeName, servfail, slow,
  startTsdns, udpQuery } from '../../helpers/index.ts'
import type { FakeHandler, FakeUpstream, Tsdns } from '../../helpers/index.ts'
import { recoveryMs, runLoad, summarize } from '../lib/load.ts'
import { Outcome } from '../lib/outcome.ts'

export type Fault = 'killed' | 'blackholed' | 'slow2s' | 'servfail'
export const FAULTS: readonly Fault[] = ['killed', 'blackholed', 'slow2s', 'servfail']

export interface FaultParams {
  readonly rate: number
  readonly durationMs: number
  readonly faultAtMs: number
  /** The share of queries sent after the fault that must be answered NOERROR. */
  readonly minShare: number
  /** Time to fail over must be below this (ms). */
  readonly maxRecoveryMs: number
}

const good: FakeHandler = (q) => answer(q, [{ name: q.name, type: 'A', ttl: 1, data: '192.0.2.1' }])

function faulty(fault: Fault, up: FakeUpstream): Promise<void> | void {
  switch (fault) {
    case 'killed':
      return up.close()
    case 'blackholed':
      return up.setHandler(() => drop())
    case 'slow2s':
      return up.setHandler((q) => slow(2000, answer(q, [{ name: q.name, type: 'A', ttl: 1,
        data: '192.0.2.1' }])))
    case 'servfail':
      return up.setHandler((q) => servfail(q))
  }
}

const forwardTo = (ups: readonly FakeUpstream[], port: number, extra = ''): string => `
.:${port} {
  ${extra}
  forward . ${ups.map((u) => u.addr).join(' ')} {
    failover SERVFAIL
  }
}
`

/** One fault under load: its own upstreams and its own tsdns. */
export async function upstreamFault(fault: Fault, p: FaultParams): Promise<Outcome> {
  const out = new Outcome(`upstream-${fault}`)
  const ups = [await fakeUpstream(good), await fakeUpstream(good)]
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    tsdns = await startTsdns(forwardTo(ups, port))
    let injected = false
    const res = await runLoad({
      host: '127.0.0.1', port, rate: p.rate, durationMs: p.durationMs, window: 4096,
      query: (i) => buildQuery(`q${i}.${fault}.test`, 'A'),
      onTick: (t) => {
        if (!injected && t >= p.faultAtMs) {
          injected = true
          void faulty(fault, ups[0]!)
        }
      },
    })
    const before = summarize(res, 0, p.faultAtMs)
    const after = summarize(res, p.faultAtMs)
    const ok = after.byRcode.NOERROR ?? 0
    const recovery = recoveryMs(res, p.faultAtMs)
    out.set({
      before: `${before.answered}/${before.sent} answered, p99 ${before.p99Ms} ms`,
      sentAfterFault: after.sent,
      answeredShare: share(after.answered, after.sent),
      noerrorShare: share(ok, after.sent),
      lost: after.lost,
      p50Ms: after.p50Ms,
      p99Ms: after.p99Ms,
      maxMs: after.maxMs,
      failoverMs: recovery,
    })
    out.expect(before.lost === 0 && before.answered === before.byRcode.NOERROR,
      `before the fault: ${JSON.stringify(before)}`)
    out.expect(after.lost === 0, `${after.lost} queries never answered after the fault`)
    out.expect(ok / after.sent >= p.minShare,
      `only ${share(ok, after.sent)} answered NOERROR after the fault (${p.minShare} wanted)`)
    out.expect(recovery >= 0 && recovery <= p.maxRecoveryMs,
      `fail-over took ${recovery} ms (at most ${p.maxRecoveryMs} wanted)`)
  } finally {
    await tsdns?.stop()
    for (const u of ups) await u.close()
  }
  return out
}

export interface DeadParams {
  /** Names cached before the upstreams die. */
  readonly cached: number
  /** Uncached names asked once everything is dead. */
  readonly uncached: number
}

/** Every upstream dead: serve_stale answers what the cache holds, SERVFAIL for the rest. */
export async function allUpstreamsDead(p: DeadParams): Promise<Outcome> {
  const out = new Outcome('upstream-all-dead')
  const ups = [await fakeUpstream(good), await fakeUpstream(good)]
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const cache = 'cache {\n    success 10000 30 1\n    serve_stale 1h\n  }'
    tsdns = await startTsdns(forwardTo(ups, port, cache))
    const ask = (name: string): Promise<Buffer | undefined> =>
      udpQuery('127.0.0.1', port, buildQuery(name, 'A'), { timeoutMs: 8000 })
    const names = Array.from({ length: p.cached }, (_, i) => `c${i}.stale.test`)
    const warm = await Promise.all(names.map(ask))
    out.expect(warm.every((r) => r !== undefined && rcodeName(r) === 'NOERROR'), 'warm-up failed')
    for (const u of ups) await u.close()
    await new Promise((resolve) => setTimeout(resolve, 1500)) // the cached TTL (1 s) runs out
    const t0 = performance.now()
    const stale = await Promise.all(names.map(ask))
    const staleMs = performance.now() - t0
    const staleOk = stale.filter((r) => r !== undefined && rcodeName(r) === 'NOERROR').length
    const times: number[] = []
    const rcodes: Record<string, number> = {}
    await Promise.all(Array.from({ length: p.uncached }, async (_, i) => {
      const t = performance.now()
      const r = await ask(`u${i}.dead.test`)
      times.push(performance.now() - t)
      const name = r === undefined ? 'TIMEOUT' : rcodeName(r)
      rcodes[name] = (rcodes[name] ?? 0) + 1
    }))
    const maxUncached = Math.max(...times)
    out.set({
      staleAnswered: `${staleOk}/${names.length}`,
      staleAllMs: Math.round(staleMs),
      uncached: JSON.stringify(rcodes),
      uncachedMaxMs: Math.round(maxUncached),
      uncachedMinMs: Math.round(Math.min(...times)),
    })
    out.expect(staleOk === names.length, `${names.length - staleOk} cached names not served stale`)
    out.expect(rcodes.SERVFAIL === p.uncached, `uncached names: ${JSON.stringify(rcodes)}`)
    out.expect(maxUncached < 5600, `an uncached name took ${Math.round(maxUncached)} ms`)
  } finally {
    await tsdns?.stop()
    for (const u of ups) await u.close()
  }
  return out
}

const share = (n: number, of: number): number => Math.round((n / Math.max(1, of)) * 10000) / 10000
