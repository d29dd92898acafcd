// Floods, short: unique names against a bounded cache, max_concurrent against a slow upstream,
// 2,000 idle TCP connections, slow TCP clients.

import { test } from 'node:test'
import { idleTcp, maxConcurrent, trickleTcp, uniqueNames } from './scenarios/floods.ts'
import { assertOutcome } from './lib/check.ts'
import { IMAGE_HEAP_FLAGS } from '../helpers/index.ts'

// With the heap flags the image runs tsdns with (manifests/Dockerfile): without them V8 lets RSS
// climb for the first ~30 s of a flood before it levels off (npm run soak measures that, 60 s),
// longer than a short run can wait.
test('unique names at full speed: the cache stays at capacity, memory levels off', async (t) => {
  assertOutcome(t, await uniqueNames({ durationMs: 5000, capacity: 2000, plateauSlackMiB: 40,
    nodeArgs: IMAGE_HEAP_FLAGS }))
})

test('max_concurrent: a flood over a slow upstream is REFUSED at once, nothing queues',
  async (t) => {
    assertOutcome(t, await maxConcurrent({ durationMs: 2000, rate: 3000, maxConcurrent: 50,
      upstreamDelayMs: 500 }))
  })

test('2,000 idle TCP connections: UDP unaffected, all closed at the read timeout', async (t) => {
  assertOutcome(t, await idleTcp({ connections: 2000, udpRate: 300 }))
})

// Found by this suite: the read timeout was an inactivity timer, so a byte every second kept a
// connection open for ever and 1,024 of them locked real TCP clients out (src/server/tcp.ts now
// gives a whole message a deadline).
test('slow TCP clients (slowloris) are closed at the read timeout, real clients get in',
  async (t) => {
    assertOutcome(t, await trickleTcp({ connections: 1100, everyMs: 1000 }))
  })
