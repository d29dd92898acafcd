// The one JSON model /status.json serves, the page renders and `tsdns top` prints.

import { rcodeName } from '../../src/plugin/rcode.ts'
import { state } from './state.ts'
import { CAPACITY, LATENCY_BUCKETS, List, RCODES, SAMPLED_PER_SECOND, SLICE_MS, type BlockStats, type Slice } from './stats.ts'
import type { Merged } from './topk.ts'
import { bucketQuantile, type UpstreamRow } from './upstreams.ts'

/** Rows shown per list. */
const TOP = 10
const WASTE_NAMES = 5

export interface Entry {
  readonly key: string
  readonly count: number
  /** The count may be this much above the truth (Space-Saving); the truth is at least count - error. */
  readonly error: number
}

export interface TopList {
  /** Weight of every query the list saw (its share of the window's queries). */
  readonly total: number
  /** No count shown is more than this above the truth; a key not shown had at most this. */
  readonly bound: number
  readonly top: readonly Entry[]
}

export interface Waster {
  readonly client: string
  readonly wasted: number
  /** Its queries in the window (null when it is not among the top clients by queries). */
  readonly queries: number | null
  readonly share: number | null
  readonly names: readonly string[]
  readonly fix: string
}

export interface Window {
  readonly seconds: number
  readonly queries: number
  readonly qps: number
  readonly rcodes: Readonly<Record<string, number>>
  readonly did: { readonly cached: number; readonly forwarded: number; readonly local: number; readonly unanswered: number }
  /** cached / (cached + forwarded); null before either. */
  readonly hitRatio: number | null
  readonly latency: { readonly p50Ms: number | null; readonly p99Ms: number | null }
  /** The lists took 1 in this many queries, each counted this many times (1: every query). */
  readonly sampledOneIn: number
  readonly clients: { readonly queries: TopList; readonly nxdomain: TopList; readonly servfail: TopList; readonly forwarded: TopList }
  readonly names: { readonly queries: TopList; readonly nxdomain: TopList }
  readonly searchPath: { readonly wasted: number; readonly bound: number; readonly clients: readonly Waster[] }
}

export interface Point {
  /** Start of the 10-second slice, Unix ms. */
  readonly t: number
  readonly qps: number
  readonly hitRatio: number | null
  readonly p50Ms: number | null
  readonly p99Ms: number | null
}

export interface BlockModel {
  readonly server: string
  readonly zones: readonly string[]
  readonly searchSuffixes: readonly string[]
  readonly windows: { readonly '1m': Window; readonly '10m': Window }
  readonly series: readonly Point[]
}

export interface StatusModel {
  readonly generatedAt: string
  readonly uptimeSeconds: number
  readonly sliceSeconds: number
  readonly capacity: number
  readonly sampledPerSecond: number
  readonly blocks: readonly BlockModel[]
  readonly upstreams: { readonly '1m': readonly UpstreamRow[]; readonly '10m': readonly UpstreamRow[] }
  readonly config: { readonly hash: string; readonly corefile: string; readonly reloads: typeof state.reloads }
}

/** Latency bucket i holds [2^i, 2^(i+1)) µs: its upper bounds in seconds. */
const LATENCY_BOUNDS = Array.from({ length: LATENCY_BUCKETS - 1 }, (_, i) => 2 ** (i + 1) / 1e6)

const round = (n: number): number => Math.round(n)
const ms = (n: number | null): number | null => (n === null ? null : Math.round(n * 1000) / 1000)

function list(m: Merged): TopList {
  return {
    total: round(m.total),
    bound: round(m.bound),
    top: m.top.slice(0, TOP).map((e) => ({ key: e.key, count: round(e.count), error: round(e.error) })),
  }
}

function sum(slices: readonly Slice[], length: number, pick: (s: Slice) => Float64Array): number[] {
  const out = new Array<number>(length).fill(0)
  for (const s of slices) pick(s).forEach((v, i) => (out[i]! += v))
  return out
}

function hitRatio(did: readonly number[]): number | null {
  const seen = did[0]! + did[1]!
  return seen === 0 ? null : Math.round((did[0]! / seen) * 1000) / 1000
}

function wasters(lists: readonly Merged[]): Waster[] {
  const queries = new Map(lists[List.ClientQueries]!.top.map((e) => [e.key, e.count]))
  return lists[List.WasteClients]!.top.slice(0, TOP).map((e) => {
    const q = queries.get(e.key) ?? null
    const prefix = `${e.key} `
    const names = lists[List.WasteNames]!.top.filter((n) => n.key.startsWith(prefix))
      .slice(0, WASTE_NAMES).map((n) => n.key.slice(prefix.length))
    const example = names[0] ?? 'api.example.com'
    return {
      client: e.key,
      wasted: round(e.count),
      queries: q === null ? null : round(q),
      share: q === null || q === 0 ? null : Math.min(1, Math.round((e.count / q) * 1000) / 1000),
      names,
      fix: `query external names fully qualified (${example}.), or set ndots: 2 in the pod's dnsConfig options`,
    }
  })
}

function window(b: BlockStats, minutes: 1 | 10, now: number): Window {
  const { slices, lists } = b.window(minutes, CAPACITY)
  const seconds = slices.length === 0 ? 0 : Math.max((now - slices[0]!.start) / 1000, 1)
  const queries = slices.reduce((a, s) => a + s.queries, 0)
  const rcodes = sum(slices, RCODES, (s) => s.rcodes)
  const did = sum(slices, 4, (s) => s.did)
  const latency = sum(slices, LATENCY_BUCKETS, (s) => s.latency)
  const byName: Record<string, number> = {}
  rcodes.forEach((n, i) => {
    if (n > 0) byName[i === RCODES - 1 ? 'other' : rcodeName(i)] = n
  })
  return {
    seconds: Math.round(seconds),
    queries,
    qps: seconds === 0 ? 0 : Math.round((queries / seconds) * 10) / 10,
    rcodes: byName,
    did: { cached: did[0]!, forwarded: did[1]!, local: did[2]!, unanswered: did[3]! },
    hitRatio: hitRatio(did),
    latency: {
      p50Ms: ms(bucketQuantile(latency, LATENCY_BOUNDS, 0.5)),
      p99Ms: ms(bucketQuantile(latency, LATENCY_BOUNDS, 0.99)),
    },
    sampledOneIn: slices.reduce((a, s) => Math.max(a, s.oneIn), 1),
    clients: {
      queries: list(lists[List.ClientQueries]!),
      nxdomain: list(lists[List.ClientNxdomain]!),
      servfail: list(lists[List.ClientServfail]!),
      forwarded: list(lists[List.ClientForwarded]!),
    },
    names: { queries: list(lists[List.NameQueries]!), nxdomain: list(lists[List.NameNxdomain]!) },
    searchPath: {
      wasted: round(lists[List.WasteClients]!.total),
      bound: round(lists[List.WasteClients]!.bound),
      clients: wasters(lists),
    },
  }
}

function series(b: BlockStats, now: number): Point[] {
  return b.slices().map((s) => {
    const seconds = Math.min(Math.max((now - s.start) / 1000, 1), SLICE_MS / 1000)
    return {
      t: s.start,
      qps: Math.round((s.queries / seconds) * 10) / 10,
      hitRatio: hitRatio([...s.did]),
      p50Ms: ms(bucketQuantile([...s.latency], LATENCY_BOUNDS, 0.5)),
      p99Ms: ms(bucketQuantile([...s.latency], LATENCY_BOUNDS, 0.99)),
    }
  })
}

export function statusModel(now = Date.now()): StatusModel {
  return {
    generatedAt: new Date(now).toISOString(),
    uptimeSeconds: Math.round((now - state.startedAt) / 1000),
    sliceSeconds: SLICE_MS / 1000,
    capacity: CAPACITY,
    sampledPerSecond: SAMPLED_PER_SECOND,
    blocks: [...state.blocks.values()].map((b) => ({
      server: b.server,
      zones: b.zones,
      searchSuffixes: b.search.suffixes,
      windows: { '1m': window(b, 1, now), '10m': window(b, 10, now) },
      series: series(b, now),
    })),
    upstreams: { '1m': state.upstreams.rows(6), '10m': state.upstreams.rows(60) },
    config: { hash: state.hash, corefile: state.corefile, reloads: state.reloads },
  }
}
