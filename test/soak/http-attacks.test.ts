// HTTP attacks, short: half-sent bodies, pipelined scrapes without reading, a connection flood;
// a DNS and an HTTP bystander served throughout, memory bounded.

import { test } from 'node:test'
import { connectionFlood, halfSentBodies, pipelinedScrapes } from './scenarios/http-attacks.ts'
import { assertOutcome } from './lib/check.ts'

test('half-sent 1 MB POSTs: 413 at once, nothing buffered, bystanders served', async (t) => {
  assertOutcome(t, await halfSentBodies({ connections: 300, bodyBytes: 256 * 1024, durationMs: 3000 }))
})

test('pipelined GET /metrics without reading: the connection is closed, nothing queued',
  async (t) => {
    assertOutcome(t, await pipelinedScrapes({ requests: 3000, connections: 5, durationMs: 3000 }))
  })

test('a connection flood holds only its own share; newcomers get in', async (t) => {
  assertOutcome(t, await connectionFlood({ connections: 1500, durationMs: 3000 }))
})
