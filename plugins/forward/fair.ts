// Per-source fairness for a forward's in-flight limit (max_concurrent, or the default ceiling):
// max-min fairness that costs the offender. Queries in flight are counted per client address.
// When the table is full and a query comes from a source holding fewer than the busiest source
// minus one, the busiest source's oldest query is preempted (answered REFUSED now, as an overflow
// is; its upstream reply, if any, is dropped) and the newcomer takes its slot. Otherwise the
// newcomer is refused, as CoreDNS refuses every overflow. A lone heavy client still gets the
// whole limit while nobody else needs it.
//
// Everything is O(1) per query: a Map lookup for the source, intrusive lists for its queries
// (oldest first) and for the sources holding each count (so the busiest is at hand). A source
// leaves the table when its count drops to 0, so the table holds at most `limit` sources.
//
// A preempted query's upstream socket stays open until its reply or read timeout; preemptions
// are therefore capped at `limit` per read timeout (a fixed window), so sockets in flight stay
// within 3 x limit.

import type { Cell } from '../../src/plugin/metrics.ts'

/** One query in flight: the forward exchange extends this. */
export abstract class Ticket {
  source: Source | undefined = undefined
  prev: Ticket | undefined = undefined
  next: Ticket | undefined = undefined
  /** Give up the slot: the client is answered with `err` now, whatever comes later is dropped. */
  abstract preempt(err: Error): void
}

export class Source {
  readonly key: string
  count = 0
  /** Its queries in flight, oldest first. */
  head: Ticket | undefined = undefined
  tail: Ticket | undefined = undefined
  /** Neighbours among the sources holding the same count. */
  prev: Source | undefined = undefined
  next: Source | undefined = undefined

  constructor(key: string) {
    this.key = key
  }
}

export class FairShare {
  readonly limit: number
  readonly #window: number
  /** Counts preemptions (tsdns_shed_total{bound="forward_fair_share"}). */
  readonly #shed: Cell
  readonly #sources = new Map<string, Source>()
  /** Sources by count: a list of the sources holding exactly that many. */
  readonly #byCount: (Source | undefined)[] = []
  #max = 0
  #inflight = 0
  #preempted = 0
  #windowStart = 0

  /** `windowMs`: how long a preempted query may still hold its upstream socket (read_timeout). */
  constructor(limit: number, windowMs: number, shed: Cell) {
    this.limit = limit
    this.#window = windowMs
    this.#shed = shed
  }

  get inflight(): number {
    return this.#inflight
  }

  /** Sources with queries in flight. */
  get sources(): number {
    return this.#sources.size
  }

  /** How many queries `key` has in flight. */
  count(key: string): number {
    return this.#sources.get(key)?.count ?? 0
  }

  /**
   * A slot for a query from source `key`: free, or taken from the busiest source (whose oldest
   * query gets `err`); undefined when refused. A new source joins the table only in attach().
   */
  take(key: string, err: Error): Source | undefined {
    const s = this.#sources.get(key)
    if (this.#inflight >= this.limit) {
      if ((s?.count ?? 0) + 1 >= this.#max || !this.#mayPreempt()) return undefined
      const victim = this.#byCount[this.#max]!.head!
      this.#remove(victim)
      victim.preempt(err)
      this.#shed.value++
    }
    return s ?? new Source(key)
  }

  /** Counts `t` as in flight for `s` (from take()). */
  attach(t: Ticket, s: Source): void {
    if (s.count === 0) this.#sources.set(s.key, s)
    t.source = s
    t.prev = s.tail
    t.next = undefined
    if (s.tail === undefined) s.head = t
    else s.tail.next = t
    s.tail = t
    this.#move(s, s.count + 1)
    this.#inflight++
  }

  /** `t`'s query is over (answered or failed); a preempted one was already let go. */
  release(t: Ticket): void {
    if (t.source !== undefined) this.#remove(t)
  }

  #remove(t: Ticket): void {
    const s = t.source!
    if (t.prev === undefined) s.head = t.next
    else t.prev.next = t.next
    if (t.next === undefined) s.tail = t.prev
    else t.next.prev = t.prev
    t.source = t.prev = t.next = undefined
    this.#move(s, s.count - 1)
    this.#inflight--
    if (s.count === 0) this.#sources.delete(s.key)
  }

  /** Moves `s` from the list of its count to the list of `to` (0: no list). */
  #move(s: Source, to: number): void {
    const from = s.count
    if (from > 0) {
      if (s.prev === undefined) this.#byCount[from] = s.next
      else s.prev.next = s.next
      if (s.next !== undefined) s.next.prev = s.prev
    }
    s.count = to
    s.prev = undefined
    s.next = undefined
    if (to > 0) {
      const head = this.#byCount[to]
      s.next = head
      if (head !== undefined) head.prev = s
      this.#byCount[to] = s
    }
    // counts move by one: when the busiest list empties, the next busiest holds max - 1
    if (to > this.#max) this.#max = to
    else if (from === this.#max && this.#byCount[from] === undefined) this.#max = to
  }

  /** At most `limit` preemptions per window: their sockets linger until read_timeout. */
  #mayPreempt(): boolean {
    const now = Date.now()
    if (now - this.#windowStart >= this.#window) {
      this.#windowStart = now
      this.#preempted = 0
    }
    return this.#preempted++ < this.limit
  }
}
