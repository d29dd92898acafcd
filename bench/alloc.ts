// Heap bytes allocated per answered query, in situ: the bench Corefile behind a real UDP listener,
// dnsperf sending from CPU 1 at a fixed rate, V8's sampling heap profiler counting every
// allocation (collected ones included) over the measured phase. The Node ceiling (a socket that
// echoes each query) runs through the same harness: what node:dgram allocates itself, which no
// server built on it can go below. chain.ts measures the chain alone, without the socket.
// Usage: node bench/alloc.ts [hits|misses ...]   (both by default; TOP=N lists N sites of tsdns)

import dgram from 'node:dgram'
import { rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../src/cli/config.ts'
import { ipLookup } from '../src/plugin/ip-lookup.ts'
import { Instance } from '../src/server/instance.ts'
import { UdpListener } from '../src/server/udp.ts'
import { dnsperf } from './dnsperf.ts'
import { LOAD_CPU, tsdnsCorefile } from './servers.ts'
import { oneRecordUpstream } from './upstream.ts'

/** Mean bytes between samples: small enough for a per-query figure over ~10^4 queries. */
const SAMPLING = 256
const TOP = Number(process.env.TOP ?? 12)

interface Workload {
  readonly names: (n: number) => string
  /** Distinct names measured (misses: each once) and the offered rate. */
  readonly count: number
  readonly rate: number
  readonly seconds: number
}

const workloads: Record<string, Workload> = {
  hits: { names: (i) => `h${i % 1000}.bench`, count: 1000, rate: 20_000, seconds: 3 },
  misses: { names: (i) => `m${i}.bench`, count: 15_000, rate: 5_000, seconds: 3 },
}

interface Measured {
  readonly perQuery: number
  readonly sites: readonly (readonly [string, number])[]
}

/** An allocation site: the innermost three frames. */
function site(stack: readonly string[]): string {
  return stack.slice(-3).join(' < ')
}

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: readonly ProfileNode[]
}

function bySite(head: ProfileNode): { total: number; sites: Map<string, number> } {
  const sites = new Map<string, number>()
  let total = 0
  const walk = (n: ProfileNode, stack: string[]): void => {
    const f = n.callFrame
    const here = [...stack, `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`]
    if (n.selfSize > 0) {
      total += n.selfSize
      sites.set(site(here), (sites.get(site(here)) ?? 0) + n.selfSize)
    }
    for (const c of n.children) walk(c, here)
  }
  walk(head, [])
  return { total, sites }
}

const files: string[] = []

function namesFile(name: string, count: number, of: (i: number) => string): string {
  const file = join(tmpdir(), `tsdns-alloc-${process.pid}-${name}.txt`)
  writeFileSync(file, Array.from({ length: count }, (_, i) => `${of(i)} A\n`).join(''))
  files.push(file)
  return file
}

async function measure(port: number, wl: Workload, key: string): Promise<Measured> {
  // hits: the names cached first; misses: as many other names, so the cache is full and evicting
  const warm = key === 'hits'
    ? namesFile(`${key}-warm`, wl.count, wl.names)
    : namesFile(`${key}-warm`, 20_000, (i) => `w${i}.bench`)
  await dnsperf({ port, file: warm, seconds: 2, cpu: LOAD_CPU })
  const file = namesFile(key, wl.count, wl.names)
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: SAMPLING, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
  })
  const res = await dnsperf({ port, file, seconds: wl.seconds, cpu: LOAD_CPU, rate: wl.rate, once: key === 'misses' })
  const { profile } = await session.post('HeapProfiler.stopSampling')
  session.disconnect()
  const answered = res.sent - res.lost
  if (answered === 0) throw new Error(`${key}: no query answered`)
  const { total, sites } = bySite(profile.head as ProfileNode)
  return {
    perQuery: total / answered,
    sites: [...sites].sort((a, b) => b[1] - a[1]).map(([s, b]) => [s, b / answered] as const),
  }
}

/** The Node ceiling in this process: what node:dgram alone allocates per datagram answered. */
async function ceiling(): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket({ type: 'udp4', reusePort: true, lookup: ipLookup })
  sock.on('message', (msg, rinfo) => {
    msg[2] = msg[2]! | 0x80
    sock.send(msg, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
  return { port: sock.address().port, close: () => new Promise((resolve) => sock.close(() => resolve())) }
}

async function tsdns(upstream: number): Promise<{ port: number; close(): Promise<void> }> {
  const blocks = parseConfig({ file: 'bench', text: tsdnsCorefile(53, upstream, 0) }, 53)
  const inst = Instance.build(blocks, { defaultPort: 53, dir: '.' })
  const listener = new UdpListener('127.0.0.1', 0, inst.servers.find((s) => s.zones.includes('.'))!)
  await listener.listen()
  return {
    port: listener.port,
    close: async () => {
      await listener.close()
      await inst.shutdown()
    },
  }
}

const chosen = process.argv.slice(2).filter((a) => Object.hasOwn(workloads, a))
const up = await oneRecordUpstream()
try {
  for (const key of chosen.length > 0 ? chosen : Object.keys(workloads)) {
    const wl = workloads[key]!
    const base = await ceiling()
    const floor = await measure(base.port, wl, key).finally(base.close)
    const server = await tsdns(up.port)
    const got = await measure(server.port, wl, key).finally(server.close)
    process.stdout.write(`${key} at ${wl.rate} qps: tsdns ${got.perQuery.toFixed(0)} bytes a query, ` +
      `the Node ceiling ${floor.perQuery.toFixed(0)} (node:dgram's own)\n`)
    for (const [s, b] of got.sites.slice(0, TOP)) process.stdout.write(`${b.toFixed(0).padStart(7)}  ${s}\n`)
  }
} finally {
  up.close()
  for (const f of files) rmSync(f, { force: true })
}
