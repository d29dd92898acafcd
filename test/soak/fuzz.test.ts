// The packet fuzzer, short: hostile UDP datagrams and TCP streams at a running tsdns (the long
// run in run.ts sends 1,000,000 and 10,000). SOAK_SEED replays a run.

import { test } from 'node:test'
import { packetFuzz } from './scenarios/fuzz.ts'
import { assertOutcome } from './lib/check.ts'

test('packet fuzz: no crash, valid queries answered afterwards, memory back near baseline',
  async (t) => {
    const seed = Number(process.env.SOAK_SEED ?? Date.now() % 0x7fffffff)
    assertOutcome(t, await packetFuzz({ udp: 30_000, tcp: 2000, seed, rate: 15_000,
      warmupMs: 2000, rssSlackMiB: 64, settleMs: 3000 }))
  })
