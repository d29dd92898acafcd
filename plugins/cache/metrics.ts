// CoreDNS plugin/cache/metrics.go: names, help and labels unchanged so dashboards keep working.
// Every family is labelled: a series shows from its first count (the entries gauges from the first
// reply stored), as CoreDNS's do.

import { type Cell, CounterFamily, GaugeFamily, type GaugeCell } from '../../src/plugin/metrics.ts'

const lazy = { fromFirstUse: true }

const entries = new GaugeFamily(
  'coredns_cache_entries',
  'The number of elements in the cache.',
  ['server', 'type', 'zones', 'view'],
  lazy,
)

const requests = new CounterFamily(
  'coredns_cache_requests_total',
  'The count of cache requests.',
  ['server', 'zones', 'view'],
  lazy,
)

const hits = new CounterFamily(
  'coredns_cache_hits_total',
  'The count of cache hits.',
  ['server', 'type', 'zones', 'view'],
  lazy,
)

const misses = new CounterFamily(
  'coredns_cache_misses_total',
  'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
  ['server', 'zones', 'view'],
  lazy,
)

const prefetches = new CounterFamily(
  'coredns_cache_prefetch_total',
  'The number of times the cache has prefetched a cached item.',
  ['server', 'zones', 'view'],
  lazy,
)

const drops = new CounterFamily(
  'coredns_cache_drops_total',
  'The number responses that are not cached, because the reply is malformed.',
  ['server', 'zones', 'view'],
  lazy,
)

const servedStale = new CounterFamily(
  'coredns_cache_served_stale_total',
  'The number of requests served from stale cache entries.',
  ['server', 'zones', 'view'],
  lazy,
)

const evictions = new CounterFamily(
  'coredns_cache_evictions_total',
  'The count of cache evictions.',
  ['server', 'type', 'zones', 'view'],
  lazy,
)

/** One server's cells, bound when its chain is built. */
export interface CacheCells {
  readonly requests: Cell
  readonly misses: Cell
  readonly prefetches: Cell
  readonly drops: Cell
  readonly servedStale: Cell
  readonly hits: { readonly success: Cell; readonly denial: Cell }
  readonly evictions: { readonly success: Cell; readonly denial: Cell }
  readonly entries: { readonly success: GaugeCell; readonly denial: GaugeCell }
}

/**
 * Points the entries gauges at `cache`'s stores, which shows them: at the first store, or when a
 * reload builds a new cache for gauges shown already.
 */
export function showEntries(
  cells: CacheCells,
  cache: { readonly success: { size: number }; readonly denial: { size: number } },
): void {
  cells.entries.success.read = () => cache.success.size
  cells.entries.denial.read = () => cache.denial.size
}

export function cacheCells(server: string, zones: string): CacheCells {
  const view = ''
  type Typed<C> = { child(l: Record<'server' | 'type' | 'zones' | 'view', string>): C }
  const typed = <C>(family: Typed<C>) => ({
    success: family.child({ server, type: 'success', zones, view }),
    denial: family.child({ server, type: 'denial', zones, view }),
  })
  return {
    requests: requests.child({ server, zones, view }),
    misses: misses.child({ server, zones, view }),
    prefetches: prefetches.child({ server, zones, view }),
    drops: drops.child({ server, zones, view }),
    servedStale: servedStale.child({ server, zones, view }),
    hits: typed(hits),
    evictions: typed(evictions),
    entries: typed(entries),
  }
}
