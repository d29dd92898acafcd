// Metrics that cost a plain number increment on the hot path (docs/architecture.md).
// A family hands out children bound to one label set when a chain is built; prom-client reads
// them only when /metrics is scraped. Families live in the project registry, not prom-client's
// global one. Children are never dropped: label sets come from configuration, so they are few,
// and counters survive a reload as Prometheus expects.

import { createRequire } from 'node:module'
import type { Registry } from 'prom-client'
import { Exposition, ExpositionWriter, type Exposable, type Sample } from './exposition.ts'

const require = createRequire(import.meta.url)

/** Every family, in order of creation: the registry takes them over when prom-client loads. */
const families: Family<string, unknown>[] = []
let loaded: Registry | undefined

/**
 * A family by name, for a reader outside the plugin that owns it (status reads forward's): every
 * child, also those the exposition leaves out until first use.
 */
export function familyNamed(name: string): { eachChild(): Generator<Sample[]> } | undefined {
  const f = families.find((f) => f.name === name)
  return f && { eachChild: () => f.everyChild() }
}

/** A prom-client default collector: registers its families, starts its sampling. */
type Collector = (register: Registry, config: { eventLoopMonitoringPrecision: number }) => void
const COLLECTOR_CONFIG = { eventLoopMonitoringPrecision: 10 } // collectDefaultMetrics's default

/**
 * process_* (and nodejs_*, in place of Go's go_*) as the Go client's default registry has them:
 * prom-client's collectDefaultMetrics but its GC histogram (metrics.test.ts holds the
 * two lists together). Required one by one, as prom-client lays them out (its package has no
 * exports map), because collectDefaultMetrics has no way to leave one out.
 */
function defaultCollectors(): Collector[] {
  return [
    require('prom-client/lib/metrics/processCpuTotal'),
    require('prom-client/lib/metrics/processStartTime'),
    require('prom-client/lib/metrics/osMemoryHeap'),
    require('prom-client/lib/metrics/processOpenFileDescriptors'),
    require('prom-client/lib/metrics/processMaxFileDescriptors'),
    require('prom-client/lib/metrics/eventLoopLag'),
    require('prom-client/lib/metrics/processResources'),
    require('prom-client/lib/metrics/processHandles'),
    require('prom-client/lib/metrics/processRequests'),
    require('prom-client/lib/metrics/heapSizeAndUsed'),
    require('prom-client/lib/metrics/heapSpacesSizeAndUsed'),
    require('prom-client/lib/metrics/version'),
  ]
}

/**
 * prom-client (some 90 modules, 25-40 ms) is not loaded with tsdns but on first use, so that DNS
 * answers first: the prometheus plugin asks for it when its configuration starts.
 */
function prom(): Registry {
  if (loaded !== undefined) return loaded
  const client = require('prom-client') as typeof import('prom-client')
  const r = (loaded = new client.Registry())
  for (const f of families) r.registerMetric(f as never)
  for (const collect of defaultCollectors()) collect(r, COLLECTOR_CONFIG)
  // prom-client names three gauges *_total, which Prometheus reserves for counters (promtool
  // rejects them); their per-type siblings (nodejs_active_handles{type}, ...) carry the same counts.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ]) {
    r.removeSingleMetric(name)
  }
  return r
}

let gcObserved = false

/**
 * nodejs_gc_duration_seconds, only where a Corefile asks for runtime_metrics, and from then on for
 * the life of the process (CoreDNS latches runtime_metrics the same way). Its source, a
 * PerformanceObserver of GC entries, is what costs: Node builds each entry with deprecated
 * accessors (util.deprecate wrappers, a Map). With it, cache hits promote ~4.4 KB a scavenge, 50
 * bytes without it, two thirds of it from those entries by a heap profile. Under load that is all
 * the old generation grows by, so a Mark-Compact, a pause of milliseconds, comes every few
 * seconds for the sake of the metric (docs/sizing.md, "Tails").
 */
function observeGc(): void {
  if (gcObserved) return
  gcObserved = true
  ;(require('prom-client/lib/metrics/gc') as Collector)(prom(), COLLECTOR_CONFIG)
}

/** The project registry: what tsdns uses of prom-client's Registry, loading it on first use. */
export const registry = {
  /** Loads prom-client now (runtime metrics count from then on). */
  load: (): void => void prom(),
  /** Loads prom-client and exports GC durations from now on (prometheus runtime_metrics). */
  observeGc,
  get contentType(): string {
    return prom().contentType
  },
  /**
   * The exposition for a scrape. Scrapes that arrive while one is being written share it (one
   * text in memory however many scrapers or pipelined requests ask), and writing it yields to the
   * event loop every few milliseconds (exposition.ts): no scrape holds DNS up.
   */
  scrape(): Promise<Exposition> {
    return (writing ??= write().finally(() => (writing = undefined)))
  },
  metrics: async (): Promise<string> => (await registry.scrape()).text.toString(),
  getMetricsAsArray: (): ReturnType<Registry['getMetricsAsArray']> => prom().getMetricsAsArray(),
  removeSingleMetric: (name: string): void => prom().removeSingleMetric(name),
}

let writing: Promise<Exposition> | undefined

async function write(): Promise<Exposition> {
  const r = prom()
  const w = new ExpositionWriter()
  for (const m of r.getMetricsAsArray()) {
    if (m instanceof Family) await w.family(m)
    else w.raw(withoutEmptyFamilies(await r.getSingleMetricAsString(m.name)))
  }
  return new Exposition(w.finish())
}

/**
 * prom-client's text as the Go client writes it: prom-client prints HELP and TYPE for a family
 * with no sample yet, and a blank line after each family.
 */
function withoutEmptyFamilies(text: string): string {
  const out: string[] = []
  let header: string[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('# HELP ')) header = [line]
    else if (line.startsWith('# ')) header.push(line)
    else {
      if (header.length > 0) out.push(...header)
      header = []
      out.push(line)
    }
  }
  return out.length === 0 ? '' : out.join('\n') + '\n'
}

type Labels<L extends string> = Readonly<Record<L, string>>

export interface FamilyOptions {
  /**
   * Expose a child only once it has counted (counter, histogram) or been set (gauge: a non-zero
   * value or a `read`), as CoreDNS shows a labelled vector's child only from its first
   * WithLabelValues: tsdns binds its cells when a chain is built, CoreDNS on first use. Decided
   * at scrape time, so the hot path stays a plain increment.
   */
  readonly fromFirstUse?: boolean
}

abstract class Family<L extends string, C> implements Exposable {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly L[]
  abstract readonly type: 'counter' | 'gauge' | 'histogram'
  protected readonly children = new Map<string, { labels: Labels<L>; cell: C }>()
  readonly aggregator = 'sum' as const
  readonly #fromFirstUse: boolean

  constructor(name: string, help: string, labelNames: readonly L[], opts: FamilyOptions = {}) {
    this.name = name
    this.help = help
    this.labelNames = labelNames
    this.#fromFirstUse = opts.fromFirstUse ?? false
    families.push(this)
    loaded?.registerMetric(this as never)
  }

  protected abstract create(): C
  protected abstract samples(labels: Labels<L>, cell: C): Sample[]
  /** Whether the cell has been counted or set (for fromFirstUse). */
  protected abstract used(cell: C): boolean

  /** The cell for one label set: call when building a chain, never per query. */
  child(labels: Labels<L>): C {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000')
    let c = this.children.get(key)
    if (c === undefined) {
      c = { labels: { ...labels }, cell: this.create() }
      this.children.set(key, c)
    }
    return c.cell
  }

  /** Samples child by child, as exposed, for a writer that yields between them (exposition.ts). */
  *eachChild(): Generator<Sample[]> {
    for (const { labels, cell } of this.children.values()) {
      if (!this.#fromFirstUse || this.used(cell)) yield this.samples(labels, cell)
    }
  }

  /** Samples of every child, exposed or not yet. */
  *everyChild(): Generator<Sample[]> {
    for (const { labels, cell } of this.children.values()) yield this.samples(labels, cell)
  }

  /** prom-client's Metric interface. */
  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' } {
    const values: Sample[] = []
    for (const samples of this.eachChild()) values.push(...samples)
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' }
  }

  reset(): void {
    this.children.clear()
  }
}

export interface Cell {
  value: number
}

export class CounterFamily<L extends string = never> extends Family<L, Cell> {
  readonly type = 'counter'
  protected create(): Cell {
    return { value: 0 }
  }
  protected samples(labels: Labels<L>, cell: Cell): Sample[] {
    return [{ value: cell.value, labels }]
  }
  protected used(cell: Cell): boolean {
    return cell.value !== 0
  }
}

export interface GaugeCell {
  value: number
  /** When set, read at scrape time instead of `value` (e.g. a cache's current size). */
  read?: () => number
}

export class GaugeFamily<L extends string = never> extends Family<L, GaugeCell> {
  readonly type = 'gauge'
  protected create(): GaugeCell {
    return { value: 0 }
  }
  protected samples(labels: Labels<L>, cell: GaugeCell): Sample[] {
    return [{ value: cell.read ? cell.read() : cell.value, labels }]
  }
  protected used(cell: GaugeCell): boolean {
    return cell.read !== undefined || cell.value !== 0
  }
}

export class HistogramCell {
  readonly bounds: readonly number[]
  readonly counts: Float64Array
  sum = 0
  count = 0
  constructor(bounds: readonly number[]) {
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length)
  }
  observe(v: number): void {
    this.sum += v
    this.count++
    const b = this.bounds
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++
        return
      }
    }
  }
}

export class HistogramFamily<L extends string = never> extends Family<L, HistogramCell> {
  readonly type = 'histogram'
  readonly buckets: readonly number[]
  constructor(
    name: string, help: string, labelNames: readonly L[], buckets: readonly number[],
    opts: FamilyOptions = {},
  ) {
    super(name, help, labelNames, opts)
    this.buckets = buckets
  }
  protected create(): HistogramCell {
    return new HistogramCell(this.buckets)
  }
  protected used(cell: HistogramCell): boolean {
    return cell.count !== 0
  }
  protected samples(labels: Labels<L>, cell: HistogramCell): Sample[] {
    const out: Sample[] = []
    let acc = 0
    for (let i = 0; i < cell.bounds.length; i++) {
      acc += cell.counts[i]!
      out.push({ metricName: `${this.name}_bucket`, value: acc, labels: { ...labels, le: cell.bounds[i]! } })
    }
    out.push({ metricName: `${this.name}_bucket`, value: cell.count, labels: { ...labels, le: '+Inf' } })
    out.push({ metricName: `${this.name}_sum`, value: cell.sum, labels })
    out.push({ metricName: `${this.name}_count`, value: cell.count, labels })
    return out
  }
}

/** CoreDNS plugin.TimeBuckets: ExponentialBuckets(0.00025, 2, 16). */
export const TIME_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i)
/** CoreDNS plugin.SlimTimeBuckets: ExponentialBuckets(0.00025, 10, 5). */
export const SLIM_TIME_BUCKETS: readonly number[] = [0.00025, 0.0025, 0.025, 0.25, 2.5]
/** CoreDNS size buckets for request/response bytes. */
export const SIZE_BUCKETS: readonly number[] = [
  0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000,
]

/**
 * Every bound a client can reach (docs/reliability.md): what it shed, by bound. One family, so a
 * single alert (`increase(tsdns_shed_total[5m]) > 0`) sees any of them.
 */
export type ShedBound =
  | 'tcp_conns_per_source' // a source's idlest connection evicted: it holds its share of the table
  | 'tcp_conns_total' // the idlest connection of the busiest source evicted: the table is full
  | 'tcp_inflight' // a connection stopped reading: its queries in flight are at the bound
  | 'tcp_write_queue' // stopped reading at its unwritten answers' bound, or closed past it
  | 'tcp_memory' // stopped reading (or closed) over its share of all connections' buffers
  | 'tcp_empty_frame' // a zero-length message: skipped, counts for nothing
  | 'http_conns' // an HTTP connection evicted: the listener or its source is at its bound
  | 'http_request' // an HTTP request refused: a body, big headers, too many on a connection
  | 'log_lines' // a log line dropped: stdout is not draining or is gone
  | 'forward_fair_share' // a forwarded query preempted: its source held more than its share
  | 'upstream_reply' // an upstream reply refused or repaired (invalid, or against RFC 6891)

const shedTotal = new CounterFamily<'bound'>(
  'tsdns_shed_total',
  'Work shed at a bound a client can reach, by bound (docs/reliability.md).',
  ['bound'],
)

/** The counter of one bound: take it when a module loads or a chain is built, never per event. */
export function shedCounter(bound: ShedBound): Cell {
  return shedTotal.child({ bound })
}
