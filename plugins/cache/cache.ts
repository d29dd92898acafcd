// The cache of one server block (CoreDNS plugin/cache/cache.go): a success and a denial store of
// wire entries, shared by every address the block listens on; lookups in CoreDNS's order; and
// the admission of replies written by the plugins behind it. The stores are LRUs of slot numbers
// in one table of entries (table.ts).

import { LRUCache } from 'lru-cache'
import type { Request } from '../../src/plugin/plugin.ts'
import type { Cell } from '../../src/plugin/metrics.ts'
import { Class, Type } from '../../src/plugin/rrtype.ts'
import { matchZone } from '../../src/plugin/zones.ts'
import { Flag, type Layout, layout, setU32 } from '../../src/wire/message.ts'
import { type CacheConfig, effectiveCapacity, type TtlPolicy } from './config.ts'
import { Entry, storedForm } from './entry.ts'
import { EntryTable } from './table.ts'
import { type CacheCells, showEntries } from './metrics.ts'
import { sameQuestion } from '../../src/dns/question.ts'
import { hasSoa } from '../../src/dns/response.ts'
import { answersQuestion, cacheType, isCacheable, isDenial, minimalTtl } from './reply.ts'

/** Stored reply bytes allowed per entry of capacity, on average: keeps memory bounded when a
 *  flood of unique names brings large (TCP-sized) answers. */
const BYTES_PER_ENTRY = 4096
/**
 * The options of every LRU lookup, one object: without it lru-cache makes an empty one per call
 * (two a query). It writes only `status` into it, which each call sets afresh.
 */
const GET: LRUCache.GetOptions<string, number, unknown> = {}

/** The keys' endings of class IN, by type (below 256) and DO/CD bits: made once, not a query. */
const IN_ENDINGS: (string | undefined)[] = []

/**
 * CoreDNS's key: lowercased qname, qtype, qclass, DO and CD bits. The most asked of them, A IN
 * without DO or CD, is the name alone: no string to make and hash a query (the name's hash is
 * often made already, by the zone lookup). No other key can equal it: a name ends with its
 * dot, every other key with the DO/CD character.
 */
export function cacheKey(r: Request): string {
  const bits = (r.do ? 1 : 0) | (r.cd ? 2 : 0)
  if (r.class !== Class.IN || r.type > 0xff) return r.name + String.fromCharCode(0, r.type, r.class, bits)
  if (r.type === Type.A && bits === 0) return r.name
  const i = (r.type << 2) | bits
  return r.name + (IN_ENDINGS[i] ??= String.fromCharCode(0, r.type, Class.IN, bits))
}

function clamp(ttl: number, p: TtlPolicy): number {
  return Math.min(Math.max(ttl, p.minTtl), p.maxTtl)
}

export class Cache {
  readonly cfg: CacheConfig
  readonly now: () => number
  readonly table = new EntryTable()
  readonly success: LRUCache<string, number>
  readonly denial: LRUCache<string, number>
  readonly #staleSec: number
  /** The evictions cell of the server whose reply is being stored (stores are synchronous). */
  #evicted: Cell | undefined

  constructor(cfg: CacheConfig, now: () => number = Date.now) {
    this.cfg = cfg
    this.now = now
    this.success = this.#store(cfg.success)
    this.denial = this.#store(cfg.denial)
    this.#staleSec = cfg.serveStale?.upToSec ?? 0
  }

  #store(p: TtlPolicy): LRUCache<string, number> {
    const max = effectiveCapacity(p.capacity)
    return new LRUCache<string, number>({
      max,
      maxSize: max * BYTES_PER_ENTRY,
      sizeCalculation: (slot) => this.table.size(slot),
      dispose: (slot, _k, reason) => {
        if (reason === 'evict' && this.#evicted) this.#evicted.value++
        this.table.release(slot)
      },
    })
  }

  /** Fresh, or within the serve_stale window. */
  #servable(slot: number, now: number): boolean {
    const ttl = this.table.ttl(slot, now)
    return ttl > 0 || (this.#staleSec > 0 && -ttl < this.#staleSec)
  }

  /**
   * The slot to answer from, or -1, counting the hit. Denials come first (RFC 2308); with
   * prefer_positive an answering positive entry (or the last one, kept beside a non-answering
   * successor) wins. (CoreDNS also lets a servable positive beat a cached SERVFAIL: here the two
   * never meet, as refreshes do not store failures and a positive store drops the denial.)
   */
  lookup(key: string, now: number, m: CacheCells): number {
    const p = this.success.get(key, GET)
    if (this.cfg.preferPositive && p !== undefined) {
      const good = this.table.answers(p) ? p : this.table.lkg(p)
      if (good >= 0 && this.#servable(good, now)) {
        m.hits.success.value++
        return good
      }
    }
    const n = this.denial.get(key, GET)
    if (n !== undefined && this.#servable(n, now)) {
      m.hits.denial.value++
      return n
    }
    if (p !== undefined && this.#servable(p, now)) {
      m.hits.success.value++
      return p
    }
    return -1
  }

  /**
   * Reads a reply to `r` written by the next plugin. Every TTL in `wire` is set, in place, to
   * the time the reply is kept (the client sees no jump later, as with CoreDNS). Returns the
   * entry to store, or undefined for what is not cached: truncated (its TTLs are still set, as
   * CoreDNS's writer caps every reply; one cut mid-record is passed on untouched), errors other
   * than SERVFAIL/NOTIMP, negative answers without SOA, meta/update, a zero TTL, and replies
   * that do not parse or do not match the question (both counted as drops).
   */
  examine(r: Request, wire: Uint8Array, now: number, m: CacheCells): Entry | undefined {
    const truncated = ((wire[2] ?? 0) & (Flag.TC >>> 8)) !== 0
    let l: Layout
    try {
      l = layout(wire)
    } catch {
      if (!truncated) m.drops.value++
      return undefined
    }
    const cfg = this.cfg
    let type = cacheType(wire, l, Math.floor(now / 1000), r.do)
    // CoreDNS 1.14.7 (cache.go cacheResponseType, key): answers that do not answer the question
    // (a CNAME chain short of the queried type) are NODATA, timed and kept as a denial when an
    // SOA comes with them, else timed as a positive answer and not kept
    const nonAnswer = type === 'NOERROR' && !answersQuestion(wire, l, r.name, r.type, r.class)
    if (nonAnswer && hasSoa(wire, l)) type = 'NODATA'
    const denial = isDenial(type)
    const ttl =
      type === 'SERVERERROR' ? cfg.servfailTtl
      : clamp(minimalTtl(wire, l, type), denial ? cfg.denial : cfg.success)
    for (let i = 0; i < l.ttls.length; i++) if (i !== l.opt) setU32(wire, l.ttls[i]!, ttl)
    if (truncated || !isCacheable(type) || ttl <= 0) return undefined
    if ((wire[2]! & (Flag.QR >>> 8)) === 0 || !sameQuestion(r.wire, r.questionEnd, wire)) {
      m.drops.value++
      return undefined
    }
    if (type === 'NOERROR' && nonAnswer) return undefined
    const stored = storedForm(wire, l)
    if (stored === undefined) return undefined
    // a NOERROR kept answers its question (above): what prefer_positive keeps over a denial
    const answers = cfg.preferPositive && type === 'NOERROR'
    return new Entry(stored, denial, ttl, now, answers)
  }

  /** Stores `e` under `key` unless its cache is disabled for `name` (e.slot stays -1 then). */
  store(e: Entry, name: string, key: string, m: CacheCells): void {
    const cfg = this.cfg
    // CoreDNS sets both entries gauges at every store, so they show from the first one on.
    if (m.entries.success.read === undefined) showEntries(m, this)
    if (e.denial) {
      if (matchZone(cfg.disable.denial, name) !== undefined) return
      this.#set(this.denial, key, this.table.add(e), m.evictions.denial)
      return
    }
    if (matchZone(cfg.disable.success, name) !== undefined) return
    const slot = this.table.add(e)
    if (cfg.preferPositive && !e.answers) {
      const old = this.success.peek(key)
      const lkg = old === undefined ? -1 : this.table.answers(old) ? old : this.table.lkg(old)
      if (lkg >= 0 && this.#servable(lkg, e.stored)) this.table.keepLkg(slot, lkg)
    }
    this.#set(this.success, key, slot, m.evictions.success)
    // A positive answer supersedes an older denial (CoreDNS: on refresh).
    this.denial.delete(key)
  }

  /**
   * lru-cache refuses an entry larger than a store's whole byte bound, which would leave its
   * slot held for ever; one (a message and its TTL offsets, under 80 KB) never is (a store holds
   * at least 1,024 x 4 KiB).
   */
  #set(store: LRUCache<string, number>, key: string, slot: number, evicted: Cell): void {
    this.#evicted = evicted
    store.set(key, slot)
    this.#evicted = undefined
  }
}
