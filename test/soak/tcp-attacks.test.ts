// Attacks on the TCP listener, short (issue 14 items 2 and 4): a client pipelining without
// reading (large and small answers), more connections than the table holds, empty-frame
// keepalives. Each beside a bystander that must stay served, with RSS bounded.

import { test } from 'node:test'
import { emptyFrames, pipelineNoRead, slotHog } from './scenarios/tcp-attacks.ts'
import { assertOutcome } from './lib/check.ts'

test('pipelining ~32 KB answers without reading: the connection stops being read, RSS stays flat',
  async (t) => {
    assertOutcome(t, await pipelineNoRead({ records: 2000, connections: 1, durationMs: 3000 }))
  })

test('pipelining 60-byte answers without reading: the same', async (t) => {
  assertOutcome(t, await pipelineNoRead({ records: 1, connections: 1, durationMs: 3000 }))
})

test('1,100 connections asking every 3 s: newcomers evict the idlest, the bystander gets in',
  async (t) => {
    assertOutcome(t, await slotHog({ connections: 1100, sources: 20, everyMs: 3000,
      durationMs: 3000 }))
  })

test('empty-frame keepalives are closed at the deadline and counted', async (t) => {
  assertOutcome(t, await emptyFrames({ connections: 40, everyMs: 500 }))
})
