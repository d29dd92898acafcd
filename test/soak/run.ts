// The long soak (`npm run soak`): every scenario at full size, one after another, printing its
// figures as Markdown (the "Reliability" figures of docs/reliability.md come from here) and
// exiting non-zero if any invariant broke. Bounded: each scenario by its own durations, the
// whole run by a watchdog. Only loopback traffic.
//
//   node test/soak/run.ts [--only GROUP,GROUP...] [--seed N]   (the groups below)

import { setTimeout as delay } from 'node:timers/promises'
import { packetFuzz } from './scenarios/fuzz.ts'
import { allUpstreamsDead, FAULTS, upstreamFault } from './scenarios/upstream.ts'
import { idleTcp, maxConcurrent, trickleTcp, uniqueNames } from './scenarios/floods.ts'
import { spoofing } from './scenarios/spoofing.ts'
import { emptyFrames, pipelineNoRead, slotHog } from './scenarios/tcp-attacks.ts'
import { oneSourceFloods, templateLabelFlood } from './scenarios/fairness.ts'
import { crashRestart, reloadBindFails, reloadUnderLoad, sigtermAlone, sigtermPair }
  from './scenarios/lifecycle.ts'
import { sigusr1Storm, stalledReader, stdoutClosed } from './scenarios/process.ts'
import { upstreamReplies } from './scenarios/upstream-replies.ts'
import { hostileChecks, hostileReloads } from './scenarios/corefile-limits.ts'
import { connectionFlood, halfSentBodies, pipelinedScrapes } from './scenarios/http-attacks.ts'
import type { Outcome } from './lib/outcome.ts'

const WATCHDOG_MS = 25 * 60_000

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}
const only = arg('only')?.split(',')
const seed = Number(arg('seed') ?? Date.now() % 0x7fffffff)

const groups: Record<string, () => Promise<Outcome>[] | Promise<Outcome[]>> = {
  // 12,000 a second: what tsdns takes on this machine beside the fuzzer and the upstreams
  fuzz: () => [packetFuzz({ udp: 1_000_000, tcp: 10_000, seed, rate: 12_000, warmupMs: 20_000,
    rssSlackMiB: 128, settleMs: 10_000 })],
  upstream: async () => {
    const outs: Outcome[] = []
    for (const f of FAULTS) {
      outs.push(await upstreamFault(f, { rate: 1000, durationMs: 15_000, faultAtMs: 3000,
        minShare: 0.99, maxRecoveryMs: f === 'servfail' ? 500 : 8000 }))
    }
    outs.push(await allUpstreamsDead({ cached: 1000, uncached: 100 }))
    return outs
  },
  floods: async () => [
    await uniqueNames({ durationMs: 60_000, capacity: 9984, plateauSlackMiB: 40 }),
    await maxConcurrent({ durationMs: 10_000, rate: 5000, maxConcurrent: 100,
      upstreamDelayMs: 500 }),
    await idleTcp({ connections: 2000, udpRate: 1000 }),
    await trickleTcp({ connections: 1100, everyMs: 1000 }),
  ],
  spoofing: () => [spoofing({ names: 2000, samples: 20_000 })],
  // 20 s: past the 5 s write timeout, so non-reading clients are closed and come back. One
  // client for the 32 KB answers: 8 of them pass the memory bounds but not the CPU ones here.
  tcp: async () => [
    await pipelineNoRead({ records: 2000, connections: 1, durationMs: 20_000 }),
    await pipelineNoRead({ records: 1, connections: 8, durationMs: 20_000 }),
    await slotHog({ connections: 1100, sources: 20, everyMs: 4000, durationMs: 20_000 }),
    await emptyFrames({ connections: 500, everyMs: 500 }),
  ],
  'upstream-replies': () => [upstreamReplies({ rate: 2000, durationMs: 15_000 })],
  // the shipped Corefiles' max_concurrent 1000; 11 clients as in issue 14
  fairness: async () => [
    await oneSourceFloods({ durationMs: 15_000, rate: 3000, maxConcurrent: 1000, clients: 11 }),
    await templateLabelFlood({ durationMs: 15_000, rate: 10_000 }),
  ],
  process: async () => [
    await sigusr1Storm({ starts: 20, everyMs: 1, forMs: 500, command: 'serve' }),
    await sigusr1Storm({ starts: 5, everyMs: 1, forMs: 500, command: 'check' }),
    await stdoutClosed(1000),
    // long enough to fill the 4 MiB backlog many times over
    await stalledReader({ durationMs: 20_000, minDropped: 1 }),
  ],
  http: async () => [
    await halfSentBodies({ connections: 1500, bodyBytes: 1_000_000 - 1, durationMs: 10_000 }),
    await pipelinedScrapes({ requests: 3000, connections: 20, durationMs: 10_000 }),
    await connectionFlood({ connections: 5000, durationMs: 10_000 }),
  ],
  lifecycle: async () => [
    await reloadUnderLoad({ rate: 3000, reloads: 10, reloadEveryMs: 1000 }),
    await sigtermAlone({ rate: 3000, lameduckMs: 2000 }),
    await sigtermPair({ rate: 3000, lameduckMs: 2000, upstreamDelayMs: 0, cachedOnly: true }),
    await sigtermPair({ rate: 3000, lameduckMs: 2000, upstreamDelayMs: 200, cachedOnly: false }),
    await crashRestart(2000),
    await reloadBindFails({ signals: 20, everyMs: 250 }),
  ],
  'corefile-limits': async () => [
    await hostileChecks({ exitMs: 20_000, rssSlackMiB: 64 }),
    await hostileReloads({ failMs: 20_000, rounds: 5 }),
  ],
}

async function main(): Promise<number> {
  const started = Date.now()
  console.log(`# tsdns soak, ${new Date().toISOString()}, seed ${seed}\n`)
  let failed = 0
  let passed = 0
  for (const [name, run] of Object.entries(groups)) {
    if (only && !only.includes(name)) continue
    const t0 = Date.now()
    const outs = await Promise.all(await run())
    console.log(`## ${name} (${Math.round((Date.now() - t0) / 1000)} s)\n`)
    for (const o of outs) {
      console.log(`### ${o.name}\n`)
      console.log('| figure | value |\n| --- | --- |')
      for (const [k, v] of Object.entries(o.figures)) console.log(`| ${k} | ${String(v)} |`)
      for (const f of o.failures) console.log(`\n**FAILED**: ${f}`)
      console.log('')
      if (o.failures.length > 0) failed++
      else passed++
    }
  }
  console.log(`soak: ${Math.round((Date.now() - started) / 1000)} s`)
  console.log(`soak: ${passed} passed, ${failed} failed`)
  return failed > 0 ? 1 : 0
}

const watchdog = delay(WATCHDOG_MS, undefined, { ref: false }).then(() => {
  console.error(`soak: watchdog: still running after ${WATCHDOG_MS / 60_000} min, giving up`)
  process.exit(2)
})
void watchdog
process.exitCode = await main()
// helpers unref their children; anything left is killed by their exit hooks
process.exit()
