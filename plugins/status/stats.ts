// One server block's live view: exact totals per 10-second slice, and heavy-hitter lists fed by a
// sample of the queries. Below SAMPLED_PER_SECOND queries a second every query is sampled; above,
// a random 1 in S (S a power of two), each sample weighing S. So the lists cost a bounded amount
// of work a second whatever the load, and a cache hit that is not sampled costs a few counter
// increments. Slices rotate every 10 s (ticker.ts): the 1-minute window is the last 6, the
// 10-minute window the last 60 (lists: 9 merged minutes and the current one's slices).

import { performance } from 'node:perf_hooks'
import type { Held, SearchPath } from './searchpath.ts'
import { Frozen, merge, TopK, type Merged, type Summary } from './topk.ts'

/** Counters per list and per 10-second slice (the JSON says how approximate that makes them). */
export const CAPACITY = 128
export const SLICE_MS = 10_000
const SLICES_PER_MINUTE = 6
const MINUTES = 10
const SLICES = SLICES_PER_MINUTE * MINUTES
/** Sampled queries a second a block processes at most (about 0.1% of a core at ~200 ns each). */
export const SAMPLED_PER_SECOND = 4096
const MAX_ONE_IN = 1 << 16
/** The query rate is measured every this many queries (a power of two). */
const RATE_EVERY = 4096

/** What the chain did with a query (the writer's plugin, as log's {/log/plugin}). */
export const Did = {
  Cached: 0,
  Forwarded: 1,
  Local: 2,
  /** No plugin wrote: the server answered the chain's error rcode (or nothing, for a drop). */
  Unanswered: 3,
} as const
export type Did = (typeof Did)[keyof typeof Did]

export function didOf(by: string): Did {
  return by === 'cache' ? Did.Cached : by === 'forward' ? Did.Forwarded : by === '' ? Did.Unanswered : Did.Local
}

/** Latency buckets: [2^i, 2^(i+1)) microseconds, the last open-ended (33 s and more). */
export const LATENCY_BUCKETS = 26
/** rcodes 0..15 by number, every extended one in the last cell. */
export const RCODES = 17

export const List = {
  ClientQueries: 0,
  ClientNxdomain: 1,
  ClientServfail: 2,
  ClientForwarded: 3,
  NameQueries: 4,
  NameNxdomain: 5,
  /** Search-list expansions answered NXDOMAIN, by client. */
  WasteClients: 6,
  /** The same, by `client name-it-was-made-from`. */
  WasteNames: 7,
} as const
const LISTS = 8

/** Totals of one 10-second slice (exact, except latency: from the sampled queries, weighted). */
export class Slice {
  start = 0
  queries = 0
  readonly rcodes = new Float64Array(RCODES)
  readonly did = new Float64Array(4)
  readonly latency = new Float64Array(LATENCY_BUCKETS)
  /** The largest 1-in-S sampling in the slice. */
  oneIn = 1

  reset(start: number): void {
    this.start = start
    this.queries = 0
    this.rcodes.fill(0)
    this.did.fill(0)
    this.latency.fill(0)
    this.oneIn = 1
  }
}

function lists(): TopK[] {
  return Array.from({ length: LISTS }, () => new TopK(CAPACITY))
}

export interface WindowData {
  readonly slices: readonly Slice[]
  /** Per list, the merged parts. */
  readonly lists: readonly Merged[]
}

export class BlockStats {
  readonly server: string
  readonly zones: readonly string[]
  search: SearchPath
  /** Queries until the next sampled one (the handler counts it down). */
  skip = 1
  #oneIn = 1
  #seen = 0
  #rateFrom = performance.now()
  readonly #slices: Slice[] = Array.from({ length: SLICES }, () => new Slice())
  /** Lists per slice of the current minute: slot = slice index % 6. */
  readonly #recent: TopK[][] = Array.from({ length: SLICES_PER_MINUTE }, lists)
  /** Merged lists of the last minutes, newest last. */
  readonly #minutes: Frozen[][] = []
  #cur = 0
  #slice: Slice
  #lists: TopK[]
  /** The search path's tie-break (searchpath.ts): bound once, not per query. */
  readonly #held: Held = (client, from) => this.#lists[List.WasteNames]!.count(`${client} ${from}`) > 0

  constructor(server: string, zones: readonly string[], search: SearchPath, now = Date.now()) {
    this.server = server
    this.zones = zones
    this.search = search
    this.#slice = this.#slices[0]!
    this.#slice.reset(now)
    this.#lists = this.#recent[0]!
  }

  /** The 1-in-S rate sampling is at. */
  get oneIn(): number {
    return this.#oneIn
  }

  /** The skip before the next sampled query: geometric, so no query pattern can dodge it. */
  resample(): void {
    const s = this.#oneIn
    this.skip = s === 1 ? 1 : 1 + Math.floor(Math.log(1 - Math.random()) / Math.log(1 - 1 / s))
  }

  /**
   * One query done: `rcode` as answered, `did` from the writer, `ms` its time through the chain
   * for a sampled query, -1 for one that was not.
   */
  done(client: string, name: string, rcode: number, did: Did, ms: number): void {
    const sl = this.#slice
    sl.queries++
    sl.rcodes[rcode < 16 ? rcode : 16]!++
    sl.did[did]!++
    if ((++this.#seen & (RATE_EVERY - 1)) === 0) this.#adapt()
    if (ms >= 0) this.#sample(client, name, rcode, did, ms)
  }

  #sample(client: string, name: string, rcode: number, did: Did, ms: number): void {
    const w = this.#oneIn
    const sl = this.#slice
    const us = ms * 1000
    sl.latency[us < 1 ? 0 : Math.min(LATENCY_BUCKETS - 1, Math.floor(Math.log2(us)))]! += w
    const l = this.#lists
    l[List.ClientQueries]!.add(client, w)
    l[List.NameQueries]!.add(name, w)
    if (did === Did.Forwarded) l[List.ClientForwarded]!.add(client, w)
    if (rcode === 2) l[List.ClientServfail]!.add(client, w)
    else if (rcode === 3) {
      l[List.ClientNxdomain]!.add(client, w)
      l[List.NameNxdomain]!.add(name, w)
      const from = this.search.expandedFrom(name, client, this.#held)
      if (from !== undefined) {
        l[List.WasteClients]!.add(client, w)
        l[List.WasteNames]!.add(`${client} ${from}`, w)
      }
    }
  }

  /** Every RATE_EVERY queries: the sampling that keeps the lists near SAMPLED_PER_SECOND. */
  #adapt(): void {
    const now = performance.now()
    const rate = (RATE_EVERY * 1000) / Math.max(now - this.#rateFrom, 1e-3)
    this.#rateFrom = now
    let s = 1
    while (s * SAMPLED_PER_SECOND < rate && s < MAX_ONE_IN) s *= 2
    if (s !== this.#oneIn) {
      this.#oneIn = s
      this.resample()
    }
    if (s > this.#slice.oneIn) this.#slice.oneIn = s
  }

  /** A new 10-second slice: every sixth closes a minute, merged into one summary per list. */
  rotate(now = Date.now()): void {
    this.#cur = (this.#cur + 1) % SLICES
    const slot = this.#cur % SLICES_PER_MINUTE
    if (slot === 0) {
      const merged = (i: number) => merge(this.#recent.map((l) => l[i]!), CAPACITY)
      this.#minutes.push(Array.from({ length: LISTS }, (_, i) => new Frozen(merged(i), CAPACITY)))
      if (this.#minutes.length > MINUTES - 1) this.#minutes.shift()
    }
    this.#slice = this.#slices[this.#cur]!
    this.#slice.reset(now)
    this.#slice.oneIn = this.#oneIn
    this.#lists = this.#recent[slot]!
    for (const l of this.#lists) l.clear()
  }

  /** The last `minutes` (1 or 10): its slices (oldest first) and its lists merged. */
  window(minutes: 1 | 10, limit: number): WindowData {
    const slot = this.#cur % SLICES_PER_MINUTE
    const parts: Summary[][] = Array.from({ length: LISTS }, () => [])
    // this minute's slices so far (for 1 minute: the last six, from the previous minute too)
    const recent = minutes === 1 ? SLICES_PER_MINUTE : slot + 1
    for (let i = 0; i < recent; i++) {
      const l = this.#recent[(slot - i + SLICES_PER_MINUTE) % SLICES_PER_MINUTE]!
      for (let j = 0; j < LISTS; j++) parts[j]!.push(l[j]!)
    }
    if (minutes === 10) for (const m of this.#minutes) for (let j = 0; j < LISTS; j++) parts[j]!.push(m[j]!)
    return { slices: this.slices(minutes * SLICES_PER_MINUTE), lists: parts.map((p) => merge(p, limit)) }
  }

  /** The last `n` slices that have data, oldest first (the current one last). */
  slices(n = SLICES): Slice[] {
    const out: Slice[] = []
    for (let i = n - 1; i >= 0; i--) {
      const s = this.#slices[(this.#cur - i + SLICES) % SLICES]!
      if (s.start > 0) out.push(s)
    }
    return out
  }
}
