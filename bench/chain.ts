// The JavaScript cost of one query, without the listener's socket: the bench Corefile's chains
// built in process and driven through DnsServer.handle with a send that only counts. Cache hits
// and template answers are synchronous, so a plain loop measures them. What `npm run bench`
// measures on top of this is the kernel (two syscalls a query) and the event loop. The best of
// REPEATS runs is shown: other processes only ever make a run slower. Beside the time, the bytes
// of JavaScript heap each query allocates (garbage the young generation has to collect).
// A cache miss goes out to the upstream (upstream.ts, a child process) through forward's
// sockets: its CPU time includes theirs.
// Usage: node bench/chain.ts [queries per workload, default 300000]   (add --cpu-prof to profile)

import { performance } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import { parseConfig } from '../src/cli/config.ts'
import type { Addr } from '../src/plugin/plugin.ts'
import { Instance } from '../src/server/instance.ts'
import type { DnsServer } from '../src/server/server.ts'
import { buildQuery, type QueryOptions } from '../test/helpers/query.ts'
import { LOCAL_ZONE, tsdnsCorefile } from './servers.ts'
import { oneRecordUpstream } from './upstream.ts'

const N = Number(process.argv[2] ?? 300_000)
const PORT = 53
const NAMES = 1000
const REPEATS = 5
/** Misses: unique names, this many in flight (a busy node's share of a flood). */
const MISSES = Math.max(20_000, Math.floor(N / 5))
const IN_FLIGHT = 32

const local: Addr = { address: '127.0.0.1', port: PORT, family: 4 }
const remote: Addr = { address: '127.0.0.1', port: 40000, family: 4 }
let sent = 0
const send = (): void => {
  sent++
}

function queries(suffix: string, opts: QueryOptions = {}): Buffer[] {
  return Array.from({ length: NAMES }, (_, i) => buildQuery(`h${i}.${suffix}`, 'A', { id: i, ...opts }))
}

/** What dig sends: EDNS with a client cookie, which the reply echoes. */
const DIG_LIKE: QueryOptions = {
  edns: { udpSize: 1232, options: [{ code: 10, data: Buffer.from('0123456789abcdef', 'hex') } as never] },
}

/** ns per query over `n` queries through `server` (every one answered synchronously). */
function run(server: DnsServer, qs: readonly Buffer[], n: number): number {
  const before = sent
  const t0 = performance.now()
  for (let i = 0; i < n; i++) server.handle(qs[i % qs.length]!, 'udp', local, remote, send)
  const ns = ((performance.now() - t0) * 1e6) / n
  if (sent - before !== n) throw new Error(`${n - (sent - before)} queries not answered at once`)
  return ns
}

const BATCH = 1000

/**
 * Heap bytes allocated per query: the heap's growth over a batch of queries, the median of the
 * batches of `n` (a batch in which a collection ran shrinks the heap: an outlier the median drops).
 */
function bytesPerQuery(server: DnsServer, qs: readonly Buffer[], n: number): number {
  const perBatch: number[] = []
  for (let done = 0; done < n; done += BATCH) {
    const before = getHeapStatistics().used_heap_size
    for (let i = 0; i < BATCH; i++) server.handle(qs[i % qs.length]!, 'udp', local, remote, send)
    perBatch.push((getHeapStatistics().used_heap_size - before) / BATCH)
  }
  return perBatch.sort((a, b) => a - b)[perBatch.length >> 1]!
}

/**
 * `n` unique names from `next` on, IN_FLIGHT at a time; resolves to the heap bytes each miss
 * allocated (the median over batches of 100, as above) and its CPU time in µs.
 */
async function misses(server: DnsServer, next: number, n: number): Promise<{ bytes: number; us: number }> {
  const perBatch: number[] = []
  const cpu = process.cpuUsage()
  for (let done = 0; done < n; done += 100) {
    const qs = Array.from({ length: 100 }, (_, i) => buildQuery(`m${next + done + i}.bench`, 'A', { id: i }))
    const before = getHeapStatistics().used_heap_size
    await new Promise<void>((resolve) => {
      let started = 0
      let settled = 0
      const one = (): void => {
        if (++settled === qs.length) resolve()
        else if (started < qs.length) ask()
      }
      const ask = (): void => void server.handle(qs[started++]!, 'udp', local, remote, send, undefined, one)
      for (let i = 0; i < IN_FLIGHT; i++) ask()
    })
    perBatch.push((getHeapStatistics().used_heap_size - before) / 100)
  }
  const used = process.cpuUsage(cpu)
  return { bytes: perBatch.sort((a, b) => a - b)[perBatch.length >> 1]!, us: (used.user + used.system) / n }
}

const up = await oneRecordUpstream()

/** The bench Corefile built in process, its cache filled: every later query is a hit. */
async function build(text: string): Promise<{ server: DnsServer; inst: Instance }> {
  const blocks = parseConfig({ file: 'bench', text }, PORT)
  const inst = Instance.build(blocks, { defaultPort: PORT, dir: '.' })
  const server = inst.servers[0]!
  // 100 at a time: a burst of 1,000 overflows the upstream socket's buffer, and forward gives up
  // after 2 tries
  for (let i = 0; i < hits.length; i += 100) {
    await Promise.all(hits.slice(i, i + 100).map((q) => server.exchange(q)))
  }
  return { server, inst }
}

const hits = queries('bench')
const text = tsdnsCorefile(PORT, up.port, 9153)
// the same with the status plugin in every block (issue 18: >= 0.97x the qps without it)
const plain = await build(text)
const status = await build(text.replaceAll('bind 127.0.0.1\n', 'bind 127.0.0.1\n    status 127.0.0.1:9154\n'))
const local_ = queries(LOCAL_ZONE)
const workloads = [['cache hit', hits], ['cache hit, EDNS + cookie', queries('bench', DIG_LIKE)],
  ['template', local_]] as const
for (const [name, qs] of workloads) {
  // warm up: optimised code before measuring; runs alternate so load elsewhere hits both alike
  run(plain.server, qs, Math.min(N, 50_000))
  run(status.server, qs, Math.min(N, 50_000))
  let best = Infinity
  let bestStatus = Infinity
  for (let i = 0; i < REPEATS; i++) {
    best = Math.min(best, run(plain.server, qs, N))
    bestStatus = Math.min(bestStatus, run(status.server, qs, N))
  }
  const bytes = bytesPerQuery(plain.server, qs, N)
  const bytesStatus = bytesPerQuery(status.server, qs, N)
  process.stdout.write(`${name}: ${(best / 1000).toFixed(2)} µs a query, ${bytes.toFixed(0)} bytes ` +
    `allocated; with status ${(bestStatus / 1000).toFixed(2)} µs (${(best / bestStatus).toFixed(3)}x ` +
    `the qps), ${bytesStatus.toFixed(0)} bytes\n`)
}
// warm up on names of their own, then fill a cache of 10k entries past capacity: evictions count
await misses(plain.server, 0, 20_000)
const miss = await misses(plain.server, 20_000, MISSES)
process.stdout.write(`cache miss: ${miss.us.toFixed(1)} µs CPU a query (upstream sockets included), ` +
  `${miss.bytes.toFixed(0)} bytes allocated\n`)
up.close()
await plain.inst.shutdown()
await status.inst.shutdown()
