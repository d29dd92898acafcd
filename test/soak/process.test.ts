// The process, short: SIGUSR1 storms from the moment Node takes the signal over (a server, and
// `tsdns check`), stdout closed by its reader, stdout a pipe nobody reads under a logged flood.

import { test } from 'node:test'
import { sigusr1Storm, stalledReader, stdoutClosed } from './scenarios/process.ts'
import { assertOutcome } from './lib/check.ts'

test('SIGUSR1 every 2 ms while tsdns starts: it serves, nothing listens on 9229', async (t) => {
  assertOutcome(t, await sigusr1Storm({ starts: 3, everyMs: 2, forMs: 500, command: 'serve' }))
})

test('SIGUSR1 every 2 ms during tsdns check: it finishes and exits 0', async (t) => {
  assertOutcome(t, await sigusr1Storm({ starts: 2, everyMs: 2, forMs: 300, command: 'check' }))
})

test('stdout closed by its reader (tsdns | head): queries answered, log lines counted', async (t) => {
  assertOutcome(t, await stdoutClosed(20))
})

test('stdout a pipe nobody reads, logged flood: a bystander is answered within 1 s', async (t) => {
  assertOutcome(t, await stalledReader({ durationMs: 3000, minDropped: 0 }))
})
