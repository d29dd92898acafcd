// Upstream faults under load, short: the four faults side by side (each with its own tsdns and
// upstreams), and every upstream dead with serve_stale.

import { test } from 'node:test'
import { allUpstreamsDead, FAULTS, upstreamFault } from './scenarios/upstream.ts'
import { assertOutcome } from './lib/check.ts'

test('one upstream killed, blackholed, slowed to 2 s, answering SERVFAIL: every query answered',
  async (t) => {
    const outcomes = await Promise.all(FAULTS.map((f) => upstreamFault(f, {
      rate: 150, durationMs: 10_000, faultAtMs: 1500, minShare: 0.99,
      // blackholed and slow: the first timeout (2 s), then three failed 1 s health checks
      maxRecoveryMs: f === 'servfail' ? 500 : 8000,
    })))
    for (const out of outcomes) assertOutcome(t, out)
  })

test('every upstream dead: cached names served stale, others SERVFAIL within the deadline',
  async (t) => {
    assertOutcome(t, await allUpstreamsDead({ cached: 50, uncached: 20 }))
  })
