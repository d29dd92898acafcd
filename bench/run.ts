// `npm run bench`: tsdns against its peers, same machine, same run, ratios reported.
// Needs Debian's dnsperf, dnsmasq and unbound (it checks and says so; it installs nothing).
// Servers under test run on CPU 0 (taskset); dnsperf and the upstream on CPU 1.
//
// The machine may be shared: every measurement is repeated in rounds, servers taking turns, and
// each figure's median over the rounds is reported; CPU time per query is read from /proc as well, which other processes
// disturb far less than throughput.
//
// Environment: BENCH_SECONDS (per measured phase, default 3), BENCH_ROUNDS (default 3),
// BENCH_RATE (offered rate of the latency phase, default 20000; a quarter of it for the
// workloads that forward), BENCH_ONLY (comma-separated
// server or workload names, or "memory"), COREDNS_BIN (a CoreDNS binary: it runs too, with
// tsdns's Corefile, and the report gives tsdns's ratios to it), BENCH_PROFILE=1 (tsdns runs with --cpu-prof; profiles
// in bench/results/raw/profiles; summarise one with `node bench/profile.ts FILE`), BENCH_REPORT=1
// (only rewrite latest.md and latest.svg from the last full run's bench/results/raw/latest.json).

import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { sleep } from '../test/helpers/proc.ts'
import { makeTempDir, removeTempDir } from '../test/helpers/tmp.ts'
import { dnsperf, quantile } from './dnsperf.ts'
import { buildAsImage, imageNodeFlags, root } from './image.ts'
import { fillCache, median, pinUpstream } from './memory.ts'
import { svg } from './plot.ts'
import { type Meta, type MemoryRow, markdown, type Row, TSDNS_STATUS } from './report.ts'
import {
  buildCeiling, ceiling, coredns, cpuSeconds, dnsmasq, type Env, LOAD_CPU, rssMiB, type Running,
  type ServerSpec, start, tsdns, unbound,
} from './servers.ts'
import { type Workload, workloads } from './workloads.ts'

const raw = join(root, 'bench/results/raw')
const seconds = Number(process.env['BENCH_SECONDS'] ?? 3)
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3)
const rate = Number(process.env['BENCH_RATE'] ?? 20000)
const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim().toLowerCase())
const profile = process.env['BENCH_PROFILE'] === '1'
/** Upper bound on what any server answers per second: sizes the unique-name files. */
const MAX_QPS = 150_000
const WARM_SECONDS = 1
/** Until the HTTP side (fastify, prom-client) is up too: RSS at start counts it. */
const SETTLE_MS = 1500
function preflight(): void {
  const missing = [['dnsperf', 'dnsperf'], ['/usr/sbin/dnsmasq', 'dnsmasq-base'],
    ['/usr/sbin/unbound', 'unbound'], ['taskset', 'util-linux']]
    .filter(([bin]) => {
      try {
        execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' })
        return false
      } catch {
        return true
      }
    })
  if (missing.length > 0) {
    const pkgs = missing.map(([, pkg]) => pkg).join(' ')
    throw new Error(`bench needs: apt-get install ${pkgs} (nothing is installed for you)`)
  }
  if (cpus().length < 2) throw new Error('bench needs two CPUs: one for the server, one for load')
}

const named = (name: string): boolean =>
  only?.some((o) => name.toLowerCase().includes(o)) === true

/** BENCH_ONLY's picks among `all`; all of them when it names none. */
function pick<T extends { readonly name: string }>(all: readonly T[], none: T[] = [...all]): T[] {
  const hit = all.filter((x) => named(x.name))
  return only === undefined || hit.length === 0 ? none : hit
}

/** Every start's time to first answer, by server. */
const starts = new Map<string, number[]>()

async function started(spec: ServerSpec, env: Env): Promise<Running> {
  const s = await start(spec, env)
  starts.set(spec.name, [...(starts.get(spec.name) ?? []), s.startMs])
  return s
}

async function measure(spec: ServerSpec, w: Workload, env: Env): Promise<Row> {
  const s = await started(spec, env)
  try {
    const perf = (file: string, opts: { rate?: number; once?: boolean; latencies?: boolean },
      secs = seconds) => dnsperf({ port: s.port, file, seconds: secs, cpu: LOAD_CPU, ...opts })
    if (w.prime) await perf(w.file(env.dir, 'p', 0), { once: true })
    await perf(w.file(env.dir, 'w', MAX_QPS * WARM_SECONDS), {}, WARM_SECONDS)
    const file = w.file(env.dir, 't', MAX_QPS * seconds)
    const cpu0 = cpuSeconds(s.pid)
    const flat = await perf(file, {})
    const cpuUs = ((cpuSeconds(s.pid) - cpu0) * 1e6) / (flat.sent - flat.lost)
    const wrate = Math.round(rate * w.rateShare)
    const fixed = await perf(w.file(env.dir, 'l', Math.ceil(wrate * seconds * 1.05)),
      { rate: wrate, latencies: true })
    const ms = (q: number): number => quantile(fixed.latencies, q) * 1000
    return {
      server: spec.name, workload: w.name, qps: flat.qps, lost: flat.lost, sent: flat.sent,
      cpuUs, rate: wrate, p50: ms(0.5), p99: ms(0.99), p999: ms(0.999), rateLost: fixed.lost,
      rateSent: fixed.sent, startMs: s.startMs,
    }
  } finally {
    await s.stop()
  }
}

/**
 * A server's rounds as one row: the median of each figure over the rounds (issue 16: medians, not
 * the best of different rounds). The median round by throughput gives sent and lost.
 */
function medianRow(tries: readonly Row[]): Row {
  const of = (f: (r: Row) => number): number => median(tries.map(f))
  const byQps = [...tries].sort((a, b) => a.qps - b.qps)[(tries.length - 1) >> 1]!
  return {
    ...byQps,
    qps: of((r) => r.qps), cpuUs: of((r) => r.cpuUs), p50: of((r) => r.p50),
    p99: of((r) => r.p99), p999: of((r) => r.p999), startMs: of((r) => r.startMs),
  }
}

/** RSS once serving (HTTP side up too), then after 10k and 100k unique names (each cached). */
async function memory(spec: ServerSpec, env: Env): Promise<MemoryRow> {
  const s = await started(spec, env)
  try {
    await sleep(SETTLE_MS)
    const start0 = rssMiB(s.pid)
    const lost10k = await fillCache(s.port, env.dir, 'mem10k', 10_000)
    const at10k = rssMiB(s.pid)
    const lost100k = await fillCache(s.port, env.dir, 'mem90k', 90_000)
    const at100k = rssMiB(s.pid)
    return { server: spec.name, startMs: median(starts.get(spec.name)!), rss0: start0,
      rss10k: at10k, rss100k: at100k, lost: lost10k + lost100k }
  } finally {
    await s.stop()
  }
}

interface Results {
  readonly meta: Meta
  readonly rows: readonly Row[]
  readonly mem: readonly MemoryRow[]
}

function publish({ meta, rows, mem }: Results): string {
  const md = markdown(meta, rows, mem)
  writeFileSync(join(root, 'bench/results/latest.md'), md)
  writeFileSync(join(root, 'bench/results/latest.svg'), svg(meta, rows))
  return md
}

async function main(): Promise<void> {
  if (process.env['BENCH_REPORT'] === '1') {
    publish(JSON.parse(readFileSync(join(raw, 'latest.json'), 'utf8')) as Results)
    return
  }
  preflight()
  const loadBefore = load()
  mkdirSync(raw, { recursive: true })
  process.stdout.write('building tsdns ...\n')
  const tsdnsMain = buildAsImage()
  const dir = makeTempDir('bench')
  const up = await pinUpstream()
  const env: Env = {
    dir, upstream: up.port, tsdnsMain, ceilingMain: buildCeiling(dir),
  }
  const profDir = join(raw, 'profiles')
  const image = imageNodeFlags()
  const ts = tsdns('tsdns', undefined,
    profile ? [...image, '--cpu-prof', `--cpu-prof-dir=${profDir}`] : image)
  const corednsBin = process.env['COREDNS_BIN']
  const peers = corednsBin === undefined ? [] : [coredns(resolve(corednsBin))]
  const servers = pick([ceiling, dnsmasq, unbound, ...peers, ts])
  // the status plugin's cost on the hit path, measured beside plain tsdns in the same rounds
  const withStatus = servers.includes(ts) ? [tsdns(TSDNS_STATUS, undefined, image, true)] : []
  const memoryOnly = only !== undefined && only.includes('memory')
  const loads = pick(workloads, memoryOnly ? [] : [...workloads])
  const rows: Row[] = []
  const mem: MemoryRow[] = []
  try {
    for (const w of loads) {
      const able = servers.filter((s) => w.servers?.includes(s.name) ?? true)
      if (w.name === 'cache hits') able.push(...withStatus)
      const tries = new Map<string, Row[]>(able.map((s) => [s.name, []]))
      for (let round = 1; round <= rounds; round++) {
        for (const spec of able) {
          process.stdout.write(`${w.name} · ${spec.name} · round ${round}: `)
          const r = await measure(spec, w, env)
          tries.get(spec.name)!.push(r)
          process.stdout.write(`${Math.round(r.qps)} qps (lost ${r.lost}), ` +
            `${r.cpuUs.toFixed(1)} µs CPU/query; at ${r.rate} qps p50 ${r.p50.toFixed(3)} ` +
            `p99 ${r.p99.toFixed(3)} p99.9 ${r.p999.toFixed(3)} ms (lost ${r.rateLost})\n`)
        }
      }
      for (const t of tries.values()) rows.push(medianRow(t))
    }
    if (only === undefined || memoryOnly) {
      const big = servers.includes(ts) ? [
        tsdns('tsdns, capacity 100k', 100_000, image),
        tsdns('tsdns, node without heap flags', undefined, ['--disable-sigusr1']),
      ] : []
      for (const spec of [...servers, ...big]) {
        process.stdout.write(`memory · ${spec.name}: `)
        const m = await memory(spec, env)
        mem.push(m)
        process.stdout.write(`start ${m.startMs.toFixed(0)} ms, RSS ${m.rss0.toFixed(1)} / ` +
          `${m.rss10k.toFixed(1)} / ${m.rss100k.toFixed(1)} MiB\n`)
      }
    }
  } finally {
    await up.stop()
    removeTempDir(dir)
  }
  const meta = {
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model.trim() ?? 'cpu'} · ${cpus().length} cores · Linux · node ` +
      `${process.version} · dnsperf ${tool('dnsperf', ['-h'], /Version ([\d.]+)/)} · dnsmasq ` +
      `${tool('/usr/sbin/dnsmasq', ['--version'], /version ([\d.]+)/)} · unbound ` +
      `${tool('/usr/sbin/unbound', ['-V'], /Version ([\d.]+)/)}`,
    load: `load average ${loadBefore} before, ${load()} after`,
    seconds, rate, rounds,
  }
  if (only !== undefined) {
    process.stdout.write('\nBENCH_ONLY set: bench/results/latest.md left as it was\n')
    return
  }
  writeFileSync(join(raw, 'latest.json'), JSON.stringify({ meta, rows, mem }, null, 1))
  process.stdout.write('\n' + publish({ meta, rows, mem }))
}

function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ')
}

function tool(cmd: string, args: string[], re: RegExp): string {
  try {
    const out = execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' })
    return re.exec(out)?.[1] ?? '?'
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    return re.exec(`${e.stdout ?? ''}${e.stderr ?? ''}`)?.[1] ?? '?'
  }
}

await main()
