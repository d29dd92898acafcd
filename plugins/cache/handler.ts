// The cache in the chain (CoreDNS plugin/cache/handler.go). A hit is answered from wire bytes
// with a plain call; a miss goes to the next plugin through a CachingWriter that stores the
// reply on its way out. Refreshes (prefetch, serve_stale) run the same query through the next
// plugin with a writer that only stores, at most one per entry.

import type {
  Addr, Handler, HandlerResult, Msg, Request, RequestContext, ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { nextOrFailure } from '../../src/plugin/plugin.ts'
import { WrappedWriter } from '../../src/dns/writer.ts'
import { encodeMsg } from '../../src/plugin/msg.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { matchZone } from '../../src/plugin/zones.ts'
import { Flag } from '../../src/wire/message.ts'
import { withoutOpt } from '../../src/wire/opt.ts'
import { WireRequest } from '../../src/wire/request.ts'
import { type Cache, cacheKey } from './cache.ts'
import { type Entry, render } from './entry.ts'
import type { CacheCells } from './metrics.ts'

const NAME = 'cache'

/**
 * The query as the cache sends it on: AD set (CoreDNS 1.14.7), so that an upstream that
 * validates says whether the answer is authenticated whatever the first client asked (the
 * stored AD bit then serves later clients that ask with AD or DO). A miss's query is the
 * client's, its deadline and metadata store included.
 */
function upstreamQuery(r: Request): Request {
  return needsAd(r) ? withAd(r, r.proto).carry(r) : r
}

/**
 * A background refresh's query (prefetch, serve_stale without verify): over TCP, as CoreDNS does
 * (no client waits, and the reply is not cut to a UDP size), and with a state of its own: CoreDNS
 * gives a refresh a fresh metadata store, so what forward publishes for it stays off the hit's
 * log line.
 */
function refreshQuery(r: Request): Request {
  return withAd(r, 'tcp')
}

function needsAd(r: Request): boolean {
  return r.opcode === 0 && (r.flags & Flag.AD) === 0
}

/** A new request for `r`'s query over `proto`, AD set in a copy of its bytes if it was not. */
function withAd(r: Request, proto: 'udp' | 'tcp'): WireRequest {
  let wire = r.wire
  if (needsAd(r)) {
    wire = Buffer.allocUnsafe(r.wire.length) // a pooled copy: ~0.1 µs, a new Uint8Array ~0.45
    wire.set(r.wire)
    wire[3] = wire[3]! | Flag.AD
  }
  return new WireRequest(wire, proto, r.qname, r.type, r.class, r.questionEnd, r.edns)
}

export class CacheHandler implements Handler {
  readonly name = NAME
  readonly #cache: Cache
  readonly #next: Handler | undefined
  readonly #m: CacheCells
  readonly #inflight = new Set<Promise<Entry | undefined>>()

  constructor(cache: Cache, next: Handler | undefined, cells: CacheCells) {
    this.#cache = cache
    this.#next = next
    this.#m = cells
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const c = this.#cache
    if (matchZone(c.cfg.zones, r.name) === undefined) {
      return nextOrFailure(NAME, this.#next, ctx, w, r)
    }
    const m = this.#m
    const key = cacheKey(r)
    const now = c.now()
    m.requests.value++
    const e = c.lookup(key, now, m)
    if (e < 0) {
      m.misses.value++
      const cw = new CachingWriter(c, m, w, r, key)
      return nextOrFailure(NAME, this.#next, ctx, cw, upstreamQuery(r))
    }
    const t = c.table
    const ttl = t.ttl(e, now)
    if (ttl < 0) return this.#stale(ctx, w, r, key, e, now)
    w.write(render(t.wire(e), r, c.cfg.keepTtl ? t.origTtl(e) : ttl), NAME)
    if (this.#shouldPrefetch(e, now, ttl)) this.#prefetch(ctx, w, r, key, e, now)
    return Rcode.NoError
  }

  /** Resolves once every refresh started so far has finished (for tests). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight)
  }

  /** CoreDNS shouldPrefetch: counts the hit, then AMOUNT hits and PERCENTAGE of the TTL left. */
  #shouldPrefetch(e: number, now: number, ttl: number): boolean {
    const p = this.#cache.cfg.prefetch
    if (p.amount <= 0) return false
    const t = this.#cache.table
    const hits = t.last(e) < now - p.windowMs ? 1 : t.hits(e) + 1
    t.setFreq(e, hits, now)
    const threshold = Math.ceil((p.percentage / 100) * t.origTtl(e))
    return hits >= p.amount && ttl <= threshold && t.canRefresh(e, now)
  }

  /** A background refresh (prefetch, or serve_stale immediate); the new entry keeps the hits. */
  #prefetch(
    ctx: RequestContext, w: ResponseWriter, r: Request, key: string, e: number, now: number,
  ): void {
    this.#m.prefetches.value++
    void this.#refresh(ctx, w, r, refreshQuery(r), key, e, now)
  }

  /** serve_stale: the entry expired less than DURATION ago. */
  #stale(
    ctx: RequestContext, w: ResponseWriter, r: Request, key: string, e: number, now: number,
  ): HandlerResult {
    const s = this.#cache.cfg.serveStale!
    if (s.verify) return this.#verify(ctx, w, r, key, e, now)
    this.#answerStale(w, r, this.#cache.table.wire(e))
    if (this.#cache.table.canRefresh(e, now)) this.#prefetch(ctx, w, r, key, e, now)
    return Rcode.NoError
  }

  /**
   * verify: ask the next plugin first (or join the refresh in flight) and answer with what it
   * brought when that is a usable NOERROR/NXDOMAIN; stale otherwise, on timeout, or while a
   * failed refresh waits out FAILURE_RECHECK. prefer_positive keeps an answering stale entry
   * over a fresh reply that does not answer. What the stale entry says is read before the wait:
   * its slot may hold another name's by the end of it.
   */
  async #verify(
    ctx: RequestContext, w: ResponseWriter, r: Request, key: string, e: number, now: number,
  ): Promise<number> {
    const c = this.#cache
    const t = c.table
    const stale = t.wire(e)
    const answers = t.answers(e)
    let pending = t.refreshing(e)
    if (pending === undefined && now >= t.retryAfter(e)) {
      // the client's own query (protocol, deadline, metadata): it waits for this answer, as in CoreDNS
      pending = this.#refresh(ctx, w, r, upstreamQuery(r), key, e)
    }
    const fresh = pending && (await bounded(pending, c.cfg.serveStale!.verifyTimeoutMs))
    if (fresh !== undefined && (!c.cfg.preferPositive || fresh.answers || !answers)) {
      const ttl = c.cfg.keepTtl ? fresh.origTtl : Math.max(0, fresh.ttl(c.now()))
      // CoreDNS hands the verified reply on as the upstream wrote it: its own AA bit
      w.write(render(fresh.wire, r, ttl, true), NAME)
      return Rcode.NoError
    }
    this.#answerStale(w, r, stale)
    return Rcode.NoError
  }

  #answerStale(w: ResponseWriter, r: Request, stale: string): void {
    this.#m.servedStale.value++
    w.write(render(stale, r, this.#cache.cfg.serveStale!.responseTtl), NAME)
  }

  /**
   * Runs `query` (refreshQuery's, or for verify the client's own) through the next plugin for
   * entry `e`, storing a usable reply; with `keepHits` (a prefetch's time) the new entry takes
   * over e's hits, last seen then. Resolves to the new entry, or undefined when the refresh failed
   * (which starts FAILURE_RECHECK). Never rejects.
   */
  #refresh(
    ctx: RequestContext, w: ResponseWriter, r: Request, query: Request, key: string, e: number,
    keepHits?: number,
  ): Promise<Entry | undefined> {
    const c = this.#cache
    const t = c.table
    const gen = t.gen(e)
    const rw = new RefreshWriter(c, this.#m, w, r, key, { slot: e, gen, keepHits, hits: t.hits(e) })
    const done = this.#run(ctx, rw, query).then(() => {
      t.setRefreshing(e, gen, undefined)
      this.#inflight.delete(done)
      const recheck = c.cfg.serveStale?.recheckMs ?? 0
      if (rw.fresh === undefined && recheck > 0) t.setRetryAfter(e, gen, c.now() + recheck)
      return rw.fresh
    })
    t.setRefreshing(e, gen, done)
    this.#inflight.add(done)
    return done
  }

  async #run(ctx: RequestContext, rw: RefreshWriter, r: Request): Promise<void> {
    try {
      await nextOrFailure(NAME, this.#next, ctx, rw, r)
    } catch {
      // An error is a refresh without a usable reply: the stale entry stays.
    }
  }
}

/** `p`, or undefined after `ms` (0: no limit). */
function bounded<T>(p: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return p
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms, undefined)
    void p.then((v) => {
      clearTimeout(timer)
      resolve(v)
    })
  })
}

/** The writer a miss is served through: stores what the next plugin writes, then passes it on. */
class CachingWriter extends WrappedWriter {
  readonly #cache: Cache
  readonly #m: CacheCells
  readonly #r: Request
  readonly #key: string

  constructor(cache: Cache, m: CacheCells, w: ResponseWriter, r: Request, key: string) {
    super(w)
    this.#cache = cache
    this.#m = m
    this.#r = r
    this.#key = key
  }

  override write(wire: Uint8Array, by: string): void {
    const c = this.#cache
    const r = this.#r
    const e = c.examine(r, wire, c.now(), this.#m)
    if (e !== undefined) c.store(e, r.name, this.#key, this.#m)
    // RFC 6840 §5.8: no AD for a client that asked for neither DNSSEC nor AD.
    if (!r.do && (r.flags & Flag.AD) === 0 && wire.length > 3) wire[3] = wire[3]! & ~Flag.AD
    // CoreDNS's cache passes on no OPT (filterRRSlice): the client gets its own EDNS back, as
    // from a hit, not the upstream's cookie, EDE or NSID
    this.inner.write(withoutOpt(wire), by)
  }
}

/** The entry a refresh replaces, as its slot was when the refresh began. */
interface Refreshed {
  readonly slot: number
  readonly gen: number
  /** Prefetch: the time the new entry was last seen, taking over the old one's hits. */
  readonly keepHits: number | undefined
  /** The old one's hits as the refresh began: what is taken over if it is gone by the end. */
  readonly hits: number
}

/** The writer of a refresh: nothing goes to a client; a usable reply is stored and kept. */
class RefreshWriter implements ResponseWriter {
  readonly proto: 'udp' | 'tcp'
  readonly local: Addr
  readonly remote: Addr
  /** Nothing goes to a client. */
  readonly sent = 0
  readonly rcode = -1
  readonly by = ''
  /** The entry a usable reply made (stored unless its cache is disabled for the name). */
  fresh: Entry | undefined
  readonly #cache: Cache
  readonly #m: CacheCells
  readonly #r: Request
  readonly #key: string
  readonly #old: Refreshed

  constructor(cache: Cache, m: CacheCells, w: ResponseWriter, r: Request, key: string, old: Refreshed) {
    this.proto = 'tcp'
    this.local = w.local
    this.remote = w.remote
    this.#cache = cache
    this.#m = m
    this.#r = r
    this.#key = key
    this.#old = old
  }

  /** RFC 8767 §4: only a NOERROR or NXDOMAIN reply refreshes; failures leave the entry as is. */
  write(wire: Uint8Array): void {
    const c = this.#cache
    const e = c.examine(this.#r, wire, c.now(), this.#m)
    if (e === undefined || (e.rcode !== Rcode.NoError && e.rcode !== Rcode.NXDomain)) return
    // the hits are read before the store: the old entry's slot is let go as the new one goes in
    const { slot, gen, keepHits } = this.#old
    const hits = c.table.live(slot, gen) ? c.table.hits(slot) : this.#old.hits
    c.store(e, this.#r.name, this.#key, this.#m)
    if (keepHits !== undefined && e.slot >= 0) c.table.setFreq(e.slot, hits, keepHits)
    this.fresh = e
  }

  writeMsg(msg: Msg): void {
    this.write(encodeMsg(msg))
  }
}
