// The upstream table, read from forward's own metrics every 10 s rather than hooked into its
// path: coredns_proxy_request_duration_seconds (answers by rcode, latency buckets) and
// coredns_proxy_healthcheck_failures_total (a failed query starts health probes; each failed
// probe counts). Those are by upstream (`to`) for the whole process, so the table is too.

import type { Sample } from '../../src/plugin/exposition.ts'
import { familyNamed, TIME_BUCKETS } from '../../src/plugin/metrics.ts'

/** Every child's samples of a family, read by name: forward's files are forward's own. */
export function* samplesOf(name: string): Generator<Sample[]> {
  const f = familyNamed(name)
  if (f !== undefined) yield* f.eachChild()
}

interface Point {
  answers: number
  servfail: number
  failures: number
  /** Answers per latency bucket (TIME_BUCKETS, then one past the last bound). */
  readonly buckets: number[]
}

type Reading = Map<string, Point>

function point(m: Reading, to: string): Point {
  let p = m.get(to)
  if (p === undefined) m.set(to, (p = { answers: 0, servfail: 0, failures: 0, buckets: new Array<number>(TIME_BUCKETS.length + 1).fill(0) }))
  return p
}

/** Every upstream's cumulative counts now. */
function read(): Reading {
  const m: Reading = new Map()
  for (const samples of samplesOf('coredns_proxy_request_duration_seconds')) {
    let below = 0
    for (const s of samples) {
      const p = point(m, String(s.labels.to))
      if (s.metricName?.endsWith('_count')) {
        p.answers += s.value
        if (s.labels.rcode === 'SERVFAIL') p.servfail += s.value
      } else if (s.metricName?.endsWith('_bucket')) {
        // cumulative in the exposition: back to per-bucket counts
        const i = s.labels.le === '+Inf' ? TIME_BUCKETS.length : TIME_BUCKETS.indexOf(Number(s.labels.le))
        if (i >= 0) p.buckets[i]! += s.value - below
        below = s.value
      }
    }
  }
  for (const samples of samplesOf('coredns_proxy_healthcheck_failures_total')) {
    for (const s of samples) point(m, String(s.labels.to)).failures += s.value
  }
  return m
}

export interface UpstreamRow {
  readonly to: string
  readonly answers: number
  readonly servfail: number
  /** Failed health probes: the upstream did not answer. */
  readonly failures: number
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  /** `failing`: probes failed in the last 10-20 s; `idle`: no answer in the window. */
  readonly health: 'ok' | 'failing' | 'idle'
}

/** The latency under which a fraction `q` of the bucketed answers fell (interpolated, ms). */
export function bucketQuantile(buckets: readonly number[], bounds: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = q * total
  let acc = 0
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!
    if (acc + n >= rank && n > 0) {
      const lo = i === 0 ? 0 : bounds[i - 1]!
      const hi = i < bounds.length ? bounds[i]! : lo * 2
      return (lo + ((rank - acc) / n) * (hi - lo)) * 1000
    }
    acc += n
  }
  return null
}

const KEEP = 61

/** Readings every 10 s, newest last; a window is the live reading less the one that long ago. */
export class UpstreamHistory {
  readonly #readings: Reading[] = []

  tick(): void {
    this.#readings.push(read())
    if (this.#readings.length > KEEP) this.#readings.shift()
  }

  rows(slices: number): UpstreamRow[] {
    const now = read()
    const past = this.#readings[Math.max(0, this.#readings.length - slices)]
    // probes failing since the reading before last: within the last 10 to 20 s
    const recent = this.#readings.at(-2)
    const rows: UpstreamRow[] = []
    for (const [to, p] of now) {
      const then = past?.get(to)
      const d = (k: 'answers' | 'servfail' | 'failures') => p[k] - (then?.[k] ?? 0)
      const buckets = p.buckets.map((n, i) => n - (then?.buckets[i] ?? 0))
      const failing = p.failures > (recent?.get(to)?.failures ?? 0)
      rows.push({
        to,
        answers: d('answers'),
        servfail: d('servfail'),
        failures: d('failures'),
        p50Ms: bucketQuantile(buckets, TIME_BUCKETS, 0.5),
        p99Ms: bucketQuantile(buckets, TIME_BUCKETS, 0.99),
        health: failing ? 'failing' : d('answers') === 0 ? 'idle' : 'ok',
      })
    }
    return rows.sort((a, b) => b.answers - a.answers || (a.to < b.to ? -1 : 1))
  }
}
