// What the memory figures of `npm run bench` and bench/footprint.ts share: the upstream, filling
// a server's cache with unique names, medians.

import { execFileSync } from 'node:child_process'
import { sleep } from '../test/helpers/proc.ts'
import { startUnbound, type Unbound } from '../test/helpers/unbound.ts'
import { dnsperf } from './dnsperf.ts'
import { LOAD_CPU } from './servers.ts'
import { misses } from './workloads.ts'

/** Offered rate while filling: every name answered (and so cached) by every peer. */
const FILL_RATE = 20_000

/** The authoritative upstream answering every name under bench., pinned to the load CPU. */
export async function pinUpstream(): Promise<Unbound> {
  const up = await startUnbound({
    zones: [{ name: 'bench.', type: 'redirect' }],
    records: ['bench. 3600 IN A 10.0.0.1'],
    tls: false,
  })
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CPU), String(up.child.proc.pid)],
    { stdio: 'ignore' })
  return up
}

/** Sends `n` names never asked before (tagged by `tag`) once each; resolves to the count lost. */
export async function fillCache(port: number, dir: string, tag: string, n: number): Promise<number> {
  const file = misses.file(dir, tag, n)
  const seconds = Math.ceil(n / FILL_RATE) + 10
  const r = await dnsperf({ port, file, seconds, cpu: LOAD_CPU, rate: FILL_RATE, once: true })
  await sleep(500) // late answers in, the heap as the flood left it
  return r.lost
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2
}
