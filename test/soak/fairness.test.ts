// Fairness, short: one source flooding never-answered names through max_concurrent beside ten
// clients doing fresh lookups (0 REFUSED); random qclass/qtype against `template ANY ANY`
// (bounded series).

import { test } from 'node:test'
import { oneSourceFloods, templateLabelFlood } from './scenarios/fairness.ts'
import { assertOutcome } from './lib/check.ts'

test('one source floods never-answered names: ten other sources get every answer', async (t) => {
  assertOutcome(t, await oneSourceFloods({ durationMs: 3000, rate: 600, maxConcurrent: 300,
    clients: 10 }))
})

test('random qclass/qtype against template ANY ANY: series stay bounded', async (t) => {
  assertOutcome(t, await templateLabelFlood({ durationMs: 3000, rate: 3000 }))
})
