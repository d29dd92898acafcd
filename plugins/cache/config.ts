// The parsed `cache` directive, with CoreDNS's defaults (plugin/cache/cache.go New()).

import { MAX_TTL, MIN_TTL } from './reply.ts'

export interface TtlPolicy {
  /** Entries kept, as CoreDNS sizes it: 256 shards of max(CAPACITY / 256, 4). */
  readonly capacity: number
  /** Seconds. */
  readonly maxTtl: number
  readonly minTtl: number
}

export interface Prefetch {
  readonly amount: number
  readonly windowMs: number
  readonly percentage: number
}

export interface ServeStale {
  /** How long past expiry an entry may still be served, whole seconds (> 0). */
  readonly upToSec: number
  /** verify: ask upstream first and answer stale only when that fails; else immediate. */
  readonly verify: boolean
  /** verify: answer stale after this long and let the refresh finish behind (0: wait). */
  readonly verifyTimeoutMs: number
  /** The TTL of stale answers. */
  readonly responseTtl: number
  /** After a failed refresh, no new one for this long (0: the next stale hit retries). */
  readonly recheckMs: number
}

export interface CacheConfig {
  /** Zones cached; other names pass straight to the next plugin. */
  readonly zones: readonly string[]
  readonly success: TtlPolicy
  readonly denial: TtlPolicy
  /** Seconds a SERVFAIL/NOTIMP reply is kept (0: never). */
  readonly servfailTtl: number
  /** Prefetch after AMOUNT hits with gaps under `windowMs`, once PERCENTAGE of the TTL is left. */
  readonly prefetch: Prefetch
  readonly serveStale: ServeStale | undefined
  /** serve_stale_policy prefer_positive. */
  readonly preferPositive: boolean
  /** Zones for which the success / denial cache is disabled. */
  readonly disable: { readonly success: readonly string[]; readonly denial: readonly string[] }
  readonly keepTtl: boolean
}

/** CoreDNS's defaultCap: 10000, which its 256 shards of 39 make 9984. */
const DEFAULT_CAPACITY = 10000

export const DEFAULTS: CacheConfig = {
  zones: ['.'],
  success: { capacity: DEFAULT_CAPACITY, maxTtl: MAX_TTL, minTtl: MIN_TTL },
  denial: { capacity: DEFAULT_CAPACITY, maxTtl: MAX_TTL / 2, minTtl: MIN_TTL },
  servfailTtl: MIN_TTL,
  prefetch: { amount: 0, windowMs: 60_000, percentage: 10 },
  serveStale: undefined,
  preferPositive: false,
  disable: { success: [], denial: [] },
  keepTtl: false,
}

/** CoreDNS pkg/cache sizing: 256 equal shards of at least 4 entries. */
export function effectiveCapacity(capacity: number): number {
  return Math.max(Math.floor(capacity / 256), 4) * 256
}
