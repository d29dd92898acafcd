// bench/results/latest.md: the figures of one run as tables, ratios to the peers of the same
// run, and the targets checked against them.

export interface Meta {
  readonly date: string
  readonly machine: string
  readonly load: string
  readonly seconds: number
  readonly rate: number
  readonly rounds: number
}

export interface Row {
  readonly server: string
  readonly workload: string
  /** Flat out. */
  readonly qps: number
  readonly sent: number
  readonly lost: number
  /** CPU time of the server per answered query, flat out, in µs. */
  readonly cpuUs: number
  /** At the fixed offered rate: latency in ms over the answered queries. */
  readonly rate: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
  readonly rateSent: number
  readonly rateLost: number
  readonly startMs: number
}

export interface MemoryRow {
  readonly server: string
  /** Median over every start of this server in the run. */
  readonly startMs: number
  /** MiB at start, after 10k and after 100k unique names. */
  readonly rss0: number
  readonly rss10k: number
  readonly rss100k: number
  readonly lost: number
}

const CEILING = 'node ceiling'
const TSDNS = 'tsdns'
const COREDNS = 'coredns'
/** tsdns with the status plugin on, measured on cache hits only. */
export const TSDNS_STATUS = 'tsdns + status'

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '-')
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-')
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-')
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : '-')
const pct = (part: number, whole: number): string =>
  whole > 0 ? `${((100 * part) / whole).toFixed(part > 0 && part < whole / 1000 ? 3 : 1)}%` : '-'

interface Target {
  readonly what: string
  readonly value: number
  readonly shown: string
  readonly ok: boolean
}

function find(rows: readonly Row[], server: string, workload: string): Row | undefined {
  return rows.find((r) => r.server === server && r.workload === workload)
}

function targets(rows: readonly Row[], mem: readonly MemoryRow[]): Target[] {
  const out: Target[] = []
  const ratio = (what: string, workload: string, peer: string, min: number): void => {
    const t = find(rows, TSDNS, workload)
    const p = find(rows, peer, workload)
    if (t === undefined || p === undefined) return
    // judged per core (CPU time per query): steadier than qps when the machine is shared
    const perCore = p.cpuUs / t.cpuUs
    out.push({ what: `${workload}: tsdns ≥ ${min}x ${what} (per core)`, value: perCore,
      shown: `${f2(perCore)}x (qps ${f2(t.qps / p.qps)}x)`, ok: perCore >= min })
  }
  ratio('the Node ceiling', 'cache hits', CEILING, 0.9)
  ratio('unbound', 'cache misses', 'unbound', 1.3)
  const plain = find(rows, TSDNS, 'cache hits')
  const status = find(rows, TSDNS_STATUS, 'cache hits')
  if (plain !== undefined && status !== undefined) {
    const qps = status.qps / plain.qps
    out.push({ what: 'cache hits: tsdns with status ≥ 0.97x the qps without it', value: qps,
      shown: `${f2(qps)}x (per core ${f2(plain.cpuUs / status.cpuUs)}x)`, ok: qps >= 0.97 })
  }
  const hits = find(rows, TSDNS, 'cache hits')
  if (hits !== undefined) {
    const peer = find(rows, 'unbound', 'cache hits')
    const tail = (what: string, of: (r: Row) => number, max: number): void => {
      const limit = Math.min(max, peer === undefined ? max : of(peer))
      out.push({ what: `cache hits: ${what} ≤ ${max} ms and ≤ unbound's at ${f0(hits.rate)} qps`,
        value: of(hits), shown: `${f3(of(hits))} ms` +
          (peer === undefined ? '' : ` (unbound ${f3(of(peer))})`), ok: of(hits) <= limit })
    }
    tail('p99', (r) => r.p99, 0.5)
    tail('p99.9', (r) => r.p999, 1.5)
  }
  const startRow = mem.find((r) => r.server === TSDNS)
  if (startRow !== undefined) {
    out.push({ what: 'start to first answer ≤ 150 ms', value: startRow.startMs,
      shown: `${f0(startRow.startMs)} ms`, ok: startRow.startMs <= 150 })
    out.push({ what: 'RSS ≤ 64 MiB with 10k names cached', value: startRow.rss10k,
      shown: `${f1(startRow.rss10k)} MiB`, ok: startRow.rss10k <= 64 })
    out.push({ what: 'RSS ≤ 72 MiB after a unique-name flood (100k names here)',
      value: startRow.rss100k, shown: `${f1(startRow.rss100k)} MiB`, ok: startRow.rss100k <= 72 })
  }
  return out
}

export function markdown(meta: Meta, rows: readonly Row[], mem: readonly MemoryRow[]): string {
  const workloads = [...new Set(rows.map((r) => r.workload))]
  const lines = [
    '# tsdns benchmark',
    '',
    `${meta.date} · ${meta.machine} · ${meta.load}`,
    '',
    `Each server runs on CPU 0 (taskset); dnsperf and the upstream (an authoritative unbound) ` +
      `share CPU 1. Every server is started fresh for each workload and round, warmed for 1 s, ` +
      `then measured flat out for ${meta.seconds} s (8 clients, 500 queries outstanding, 1 s ` +
      `timeout) and at a fixed rate for ${meta.seconds} s (latency of each answer, over the ` +
      `answered queries): ${f0(meta.rate)} qps for hits and template answers, a quarter of it ` +
      `where queries are forwarded (no peer answers much more than 20k misses a second on one ` +
      `core, and past its capacity a server only measures its queue). The Node ceiling ` +
      `answers every query with a fixed reply, whatever the workload. ${meta.rounds} rounds, ` +
      `servers taking turns; the table ` +
      `gives each figure's median over a server's rounds: the ` +
      `machine is shared with other work, which lowers and scatters throughput; CPU time per ` +
      `query (from /proc, flat out) is the steadier figure, and 10⁶ / it is the rate one ` +
      `whole core would give.`,
    '',
    '![throughput and latency per server](latest.svg)',
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '|---|---:|---|',
    ...targets(rows, mem).map((t) =>
      `| ${t.what} | ${t.shown} | ${t.ok ? 'met' : '**not met**'} |`),
    '',
  ]
  for (const w of workloads) {
    const ws = rows.filter((r) => r.workload === w)
    const base = find(rows, CEILING, w)?.qps ?? NaN
    const baseCpu = find(rows, CEILING, w)?.cpuUs ?? NaN
    lines.push(
      `## ${w}`,
      '',
      `Latency at ${f0(ws[0]?.rate ?? meta.rate)} qps.`,
      '',
      `| server | qps | vs ceiling | lost | CPU µs/query | qps per core | vs ceiling | p50 ms | ` +
        `p99 ms | p99.9 ms | lost at ${f0(ws[0]?.rate ?? meta.rate)} qps |`,
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...ws.map((r) =>
        `| ${r.server} | ${f0(r.qps)} | ${f2(r.qps / base)} | ${pct(r.lost, r.sent)} | ` +
        `${f1(r.cpuUs)} | ${f0(1e6 / r.cpuUs)} | ${f2(baseCpu / r.cpuUs)} | ` +
        `${f3(r.p50)} | ${f3(r.p99)} | ${f3(r.p999)} | ${pct(r.rateLost, r.rateSent)} |`),
      '',
    )
  }
  if (mem.length > 0) {
    lines.push(
      '## Memory and start',
      '',
      `RSS after a fresh start, then after 10k and 100k unique names (each forwarded once, at ` +
        `${f0(meta.rate)} qps). tsdns, dnsmasq: cache of ~10k entries (the node-local ` +
        'Corefile\'s capacity, dnsmasq --cache-size=10000); unbound: default 4 MiB message + ' +
        '4 MiB RRset caches; "capacity 100k": the cache made to hold every name; "node …": ' +
        'tsdns runs with the node flags of the image\'s ENTRYPOINT (manifests/Dockerfile); "node ' +
        'without heap flags": the same Corefile without its V8 heap flags. Start: from spawn to ' +
        'the first answer to a forwarded name, the median over every start of that server in the ' +
        'run.',
      '',
      '| server | start to first answer ms | RSS start MiB | RSS 10k names MiB | ' +
        'RSS 100k names MiB |',
      '|---|---:|---:|---:|---:|',
      ...mem.map((m) =>
        `| ${m.server} | ${f0(m.startMs)} | ${f1(m.rss0)} | ${f1(m.rss10k)} | ${f1(m.rss100k)} |`),
      '',
    )
  }
  lines.push(...versusCoreDns(rows, mem))
  lines.push(
    'Command: `npm run bench` (BENCH_SECONDS, BENCH_RATE, BENCH_ONLY, BENCH_PROFILE: see ' +
      'bench/run.ts).',
    '',
  )
  return lines.join('\n')
}

/** tsdns over CoreDNS, same Corefile, same run (when COREDNS_BIN made CoreDNS one of the peers). */
function versusCoreDns(rows: readonly Row[], mem: readonly MemoryRow[]): string[] {
  const pairs = [...new Set(rows.map((r) => r.workload))]
    .map((w) => [w, find(rows, TSDNS, w), find(rows, COREDNS, w)] as const)
    .filter((p): p is readonly [string, Row, Row] => p[1] !== undefined && p[2] !== undefined)
  const t = mem.find((m) => m.server === TSDNS)
  const c = mem.find((m) => m.server === COREDNS)
  if (pairs.length === 0 && (t === undefined || c === undefined)) return []
  const lines = [
    '## tsdns / CoreDNS',
    '',
    'The same Corefile for both (bench/servers.ts tsdnsCorefile), CoreDNS as COREDNS_BIN names ' +
      'it, on the same CPU (Go sees one CPU: GOMAXPROCS 1). Above 1 tsdns does better on qps and ' +
      'per core, below 1 on latency, memory and start.',
    '',
  ]
  if (pairs.length > 0) {
    lines.push('| workload | qps | per core | p50 | p99 | p99.9 |', '|---|---:|---:|---:|---:|---:|',
      ...pairs.map(([w, a, b]) => `| ${w} | ${f2(a.qps / b.qps)}x | ${f2(b.cpuUs / a.cpuUs)}x | ` +
        `${f2(a.p50 / b.p50)}x | ${f2(a.p99 / b.p99)}x | ${f2(a.p999 / b.p999)}x |`), '')
  }
  if (t !== undefined && c !== undefined) {
    lines.push('| | start | RSS start | RSS 10k names | RSS 100k names |', '|---|---:|---:|---:|---:|',
      `| tsdns / CoreDNS | ${f2(t.startMs / c.startMs)}x | ${f2(t.rss0 / c.rss0)}x | ` +
        `${f2(t.rss10k / c.rss10k)}x | ${f2(t.rss100k / c.rss100k)}x |`, '')
  }
  return lines
}
