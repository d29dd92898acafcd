// Lifecycle under load, short: ten reloads, SIGTERM alone and in a reusePort pair, crash and
// restart.

import { test } from 'node:test'
import { crashRestart, reloadUnderLoad, sigtermAlone, sigtermPair } from './scenarios/lifecycle.ts'
import { assertOutcome } from './lib/check.ts'

test('ten reloads under load: no query lost', async (t) => {
  assertOutcome(t, await reloadUnderLoad({ rate: 1000, reloads: 10, reloadEveryMs: 250 }))
})

test('SIGTERM under load: every query sent during the lameduck is answered', async (t) => {
  assertOutcome(t, await sigtermAlone({ rate: 1000, lameduckMs: 600 }))
})

// Known defect (docs/reliability.md): src/server/udp.ts closes 50 ms after leaving the reusePort
// group, so an answer still waiting for its upstream then is never sent (and, rarely, a query
// still queued then is lost too). Todo until the close waits for what it took.
const UDP_CLOSE = 'src/server/udp.ts: the close waits 50 ms, not for the queries it took'

test('SIGTERM one of a reusePort pair under load: no cached answer lost', { todo: UDP_CLOSE },
  async (t) => {
    assertOutcome(t, await sigtermPair({ rate: 1000, lameduckMs: 600, upstreamDelayMs: 0,
      cachedOnly: true }))
  })

test('SIGTERM one of a reusePort pair: forwarded queries in flight at the close are answered',
  { todo: UDP_CLOSE }, async (t) => {
    assertOutcome(t, await sigtermPair({ rate: 1000, lameduckMs: 600, upstreamDelayMs: 200,
      cachedOnly: false }))
  })

test('crash and restart: same files and ports, a clean start', async (t) => {
  assertOutcome(t, await crashRestart(500))
})
