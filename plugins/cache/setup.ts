// cache [TTL] [ZONES...] { success|denial CAPACITY [TTL [MINTTL]]; prefetch AMOUNT [[DURATION]
// [PERCENTAGE%]]; serve_stale [DURATION] [immediate [RESPONSE_TTL [FAILURE_RECHECK]] | verify
// [VERIFY_TIMEOUT [RESPONSE_TTL [FAILURE_RECHECK]]]]; serve_stale_policy prefer_positive;
// servfail DURATION; disable success|denial [ZONES...]; keepttl } (CoreDNS plugin/cache/setup.go,
// with every error located on its token).

import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, duration, int, noArgs, noBlock, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { Cache } from './cache.ts'
import { type CacheConfig, DEFAULTS, type ServeStale, type TtlPolicy } from './config.ts'
import { CacheHandler } from './handler.ts'
import { cacheCells, showEntries } from './metrics.ts'

const NAME = 'cache'
const STALE_DEFAULT_MS = 3_600_000
const FIVE_MINUTES_MS = 300_000

function invalid(t: Token, detail: string): CorefileError {
  return new CorefileError('COREFILE_VALUE', t, detail, NAME)
}

/** A TTL argument: whole seconds, > 0. */
function ttlArg(t: Token): number {
  const ttl = int(t, NAME)
  if (ttl <= 0) throw invalid(t, `cache TTL can not be zero or negative: ${ttl}`)
  return ttl
}

/** A duration argument that may not be negative, in ms. */
function nonNegative(t: Token, what: string): number {
  const ms = duration(t, NAME)
  if (ms < 0) throw invalid(t, `invalid negative ${what}: ${t.text}`)
  return ms
}

/** success|denial CAPACITY [TTL [MINTTL]] */
function ttlPolicy(opt: Directive, base: TtlPolicy): TtlPolicy {
  const [cap, max, min] = args(opt, 1, 3, NAME)
  const minTtl = min ? int(min, NAME) : base.minTtl
  if (min && minTtl < 0) throw invalid(min, `cache min TTL can not be negative: ${minTtl}`)
  return {
    capacity: int(cap!, NAME, { min: 0 }),
    maxTtl: max ? ttlArg(max) : base.maxTtl,
    minTtl,
  }
}

/** prefetch AMOUNT [[DURATION] [PERCENTAGE%]] */
function prefetch(opt: Directive): CacheConfig['prefetch'] {
  const [amount, window, pct] = args(opt, 1, 3, NAME)
  const n = int(amount!, NAME)
  if (n < 0) throw invalid(amount!, `prefetch amount should be positive: ${n}`)
  let percentage = DEFAULTS.prefetch.percentage
  if (pct) {
    if (!pct.text.endsWith('%')) {
      throw invalid(pct, `last character of percentage should be '%', but is: '${pct.text.at(-1)}'`)
    }
    percentage = int({ ...pct, text: pct.text.slice(0, -1) }, NAME)
    if (percentage < 10 || percentage > 90) {
      throw invalid(pct, `percentage should fall in range [10, 90]: ${percentage}`)
    }
  }
  return {
    amount: n,
    windowMs: window ? nonNegative(window, 'duration for prefetch') : DEFAULTS.prefetch.windowMs,
    percentage,
  }
}

/** serve_stale [DURATION] [immediate [TTL [RECHECK]] | verify [TIMEOUT [TTL [RECHECK]]]] */
function serveStale(opt: Directive): ServeStale {
  const a = args(opt, 0, 5, NAME)
  const upToMs = a[0] ? nonNegative(a[0], 'duration for serve_stale') : STALE_DEFAULT_MS
  const mode = a[1]?.text.toLowerCase() ?? 'immediate'
  if (mode !== 'immediate' && mode !== 'verify') {
    const detail = `invalid value for serve_stale refresh mode: ${a[1]!.text}`
    throw invalid(a[1]!, `${detail} (expecting immediate or verify)`)
  }
  const verify = mode === 'verify'
  if (!verify) args(opt, 0, 4, NAME)
  const [timeout, ttl, recheck] = verify ? a.slice(2) : [undefined, ...a.slice(2)]
  const responseMs = ttl ? nonNegative(ttl, 'response TTL for serve_stale') : 0
  if (ttl && responseMs % 1000 !== 0) {
    throw invalid(ttl, `serve_stale response TTL must be whole seconds: ${ttl.text}`)
  }
  const recheckMs = recheck ? nonNegative(recheck, 'failure recheck for serve_stale') : 0
  if (recheck && recheckMs > FIVE_MINUTES_MS) {
    throw invalid(recheck, `serve_stale failure recheck can not exceed 5m: ${recheck.text}`)
  }
  return {
    upToSec: Math.trunc(upToMs / 1000),
    verify,
    verifyTimeoutMs: timeout ? nonNegative(timeout, 'timeout for serve_stale verify') : 0,
    responseTtl: responseMs / 1000,
    recheckMs,
  }
}

/** servfail DURATION: 0 disables, RFC 2308 caps it at 5 minutes. */
function servfail(opt: Directive): number {
  const [d] = args(opt, 1, 1, NAME)
  const ms = nonNegative(d!, 'ttl for servfail')
  if (ms > FIVE_MINUTES_MS) {
    throw invalid(d!, 'caching SERVFAIL responses over 5 minutes is not permitted')
  }
  return Math.trunc(ms / 1000)
}

export function parseCache(
  stanzas: readonly Directive[],
  ctx: { readonly zones: readonly string[] },
): CacheConfig {
  const d = stanzas[0]!
  let rest = d.args
  let success = DEFAULTS.success
  let denial = DEFAULTS.denial
  // A first argument that is a number is the TTL (both caches); anything else is a zone.
  if (rest[0] && /^[+-]?\d+$/.test(rest[0].text)) {
    const ttl = ttlArg(rest[0])
    success = { ...success, maxTtl: ttl }
    denial = { ...denial, maxTtl: ttl }
    rest = rest.slice(1)
  }
  const cfg = {
    ...DEFAULTS,
    zones: rest.length > 0 ? normalizeZones(rest, NAME) : ctx.zones,
    disable: { ...DEFAULTS.disable },
  }
  let policy: Directive | undefined
  for (const opt of d.block ?? []) {
    noBlock(opt, NAME)
    switch (opt.name.text) {
      case 'success':
        success = ttlPolicy(opt, success)
        break
      case 'denial':
        denial = ttlPolicy(opt, denial)
        break
      case 'prefetch':
        cfg.prefetch = prefetch(opt)
        break
      case 'serve_stale':
        cfg.serveStale = serveStale(opt)
        break
      case 'serve_stale_policy': {
        const [p] = args(opt, 1, 1, NAME)
        if (p!.text !== 'prefer_positive') {
          throw invalid(p!, `invalid serve_stale_policy '${p!.text}', expecting prefer_positive`)
        }
        cfg.preferPositive = true
        policy = opt
        break
      }
      case 'servfail':
        cfg.servfailTtl = servfail(opt)
        break
      case 'disable': {
        const [which, ...zones] = args(opt, 1, Infinity, NAME)
        if (which!.text !== 'success' && which!.text !== 'denial') {
          const detail = `cache type for disable must be "success" or "denial"`
          throw invalid(which!, `${detail}, got '${which!.text}'`)
        }
        cfg.disable[which!.text] = zones.length > 0 ? normalizeZones(zones, NAME) : ['.']
        break
      }
      case 'keepttl':
        noArgs(opt, NAME)
        cfg.keepTtl = true
        break
      default:
        throw unknownProperty(opt, NAME)
    }
  }
  if (policy && cfg.serveStale === undefined) {
    throw invalid(policy.name, 'serve_stale_policy needs serve_stale')
  }
  return { ...cfg, success, denial }
}

export default definePlugin<CacheConfig>({
  name: NAME,
  once: true,
  parse: parseCache,
  setup(cfg) {
    const cache = new Cache(cfg)
    const zones = cfg.zones.join(',')
    return (next, chain) => {
      const cells = cacheCells(chain.server, zones)
      if (cells.entries.success.read !== undefined) showEntries(cells, cache)
      return new CacheHandler(cache, next, cells)
    }
  },
})
