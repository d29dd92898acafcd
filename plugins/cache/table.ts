// Where a cache's entries live once stored: a numbered slot each, the stored form (one latin1
// string, entry.ts) in a plain array, the refreshes in flight in a Map and everything else in
// typed arrays. The LRUs keep slot numbers under the keys: small integers, no object. So a
// stored name leaves two objects for the collector, its key and its stored form, neither with a
// pointer to follow; as an object with its TTL offsets in an array beside it, an entry was five
// (docs/sizing.md, "Tails").
//
// A slot is freed when the LRU lets go of it and no later entry keeps it as the last good one
// (prefer_positive); its number is then given to the next entry stored. Whatever waits across a
// refresh holds the slot's generation with its number and reads or writes only while the two
// still match.

import type { Entry } from './entry.ts'
import { remaining } from './entry.ts'

const FIRST_SLOTS = 64
const NONE = -1

export class EntryTable {
  #wire: (string | undefined)[] = []
  /** Refreshes in flight (prefetch, serve_stale), by slot: few at a time. */
  readonly #refreshing = new Map<number, Promise<Entry | undefined>>()
  #origTtl = new Int32Array(FIRST_SLOTS)
  #stored = new Float64Array(FIRST_SLOTS)
  /** 1 when its answer section resolves the question (prefer_positive). */
  #answers = new Uint8Array(FIRST_SLOTS)
  /** Prefetch popularity (CoreDNS freq.Freq): hits with gaps shorter than the prefetch window. */
  #hits = new Int32Array(FIRST_SLOTS)
  #last = new Float64Array(FIRST_SLOTS)
  /** serve_stale FAILURE_RECHECK: no new refresh before this time (ms) after a failed one. */
  #retryAfter = new Float64Array(FIRST_SLOTS)
  /** prefer_positive: the last answering entry this non-answering one replaced, or NONE. */
  #lkg = new Int32Array(FIRST_SLOTS).fill(NONE)
  /** Holders of each slot: its LRU, and each entry keeping it as its last good one. */
  #refs = new Int32Array(FIRST_SLOTS)
  #gen = new Uint32Array(FIRST_SLOTS)
  #free = new Int32Array(FIRST_SLOTS)
  #freeCount = 0
  /** Slots handed out so far; those below it are in use or on the free stack. */
  #made = 0

  /** Stores `e` in a slot, held once (by the LRU it goes into); sets e.slot. */
  add(e: Entry): number {
    const slot = this.#freeCount > 0 ? this.#free[--this.#freeCount]! : this.#newSlot()
    this.#wire[slot] = e.wire
    this.#origTtl[slot] = e.origTtl
    this.#stored[slot] = e.stored
    this.#answers[slot] = e.answers ? 1 : 0
    this.#hits[slot] = 0
    this.#last[slot] = 0
    this.#retryAfter[slot] = 0
    this.#lkg[slot] = NONE
    this.#refs[slot] = 1
    e.slot = slot
    return slot
  }

  /** One holder lets go; the last one frees the slot, and the slot lets go of its lkg. */
  release(slot: number): void {
    if (--this.#refs[slot]! > 0) return
    this.#wire[slot] = undefined
    this.#refreshing.delete(slot)
    this.#gen[slot]!++
    const lkg = this.#lkg[slot]!
    this.#lkg[slot] = NONE
    this.#free[this.#freeCount++] = slot
    if (lkg !== NONE) this.release(lkg)
  }

  /** Slots holding an entry. */
  get used(): number {
    return this.#made - this.#freeCount
  }

  /** Whether `slot` still holds the entry it held at generation `gen`. */
  live(slot: number, gen: number): boolean {
    return slot >= 0 && this.#gen[slot] === gen && this.#refs[slot]! > 0
  }

  gen(slot: number): number {
    return this.#gen[slot]!
  }

  wire(slot: number): string {
    return this.#wire[slot]!
  }

  origTtl(slot: number): number {
    return this.#origTtl[slot]!
  }

  answers(slot: number): boolean {
    return this.#answers[slot] === 1
  }

  /** Remaining seconds (negative once expired), as CoreDNS item.ttl truncates. */
  ttl(slot: number, now: number): number {
    return remaining(this.#origTtl[slot]!, this.#stored[slot]!, now)
  }

  /** The stored bytes, the last good entry's included: what the LRU's byte bound counts. */
  size(slot: number): number {
    const lkg = this.#lkg[slot]!
    return this.#wire[slot]!.length + (lkg === NONE ? 0 : this.#wire[lkg]!.length)
  }

  lkg(slot: number): number {
    return this.#lkg[slot]!
  }

  /** `slot` keeps `lkg` (held once more) as its last good entry. */
  keepLkg(slot: number, lkg: number): void {
    this.#refs[lkg]!++
    this.#lkg[slot] = lkg
  }

  hits(slot: number): number {
    return this.#hits[slot]!
  }

  last(slot: number): number {
    return this.#last[slot]!
  }

  setFreq(slot: number, hits: number, last: number): void {
    this.#hits[slot] = hits
    this.#last[slot] = last
  }

  refreshing(slot: number): Promise<Entry | undefined> | undefined {
    return this.#refreshing.get(slot)
  }

  retryAfter(slot: number): number {
    return this.#retryAfter[slot]!
  }

  /** A refresh began or ended for the entry of (`slot`, `gen`); nothing if it is gone. */
  setRefreshing(slot: number, gen: number, p: Promise<Entry | undefined> | undefined): void {
    if (!this.live(slot, gen)) return
    if (p === undefined) this.#refreshing.delete(slot)
    else this.#refreshing.set(slot, p)
  }

  setRetryAfter(slot: number, gen: number, at: number): void {
    if (this.live(slot, gen)) this.#retryAfter[slot] = at
  }

  /** Whether a new refresh may start: none in flight and no failure recheck pending. */
  canRefresh(slot: number, now: number): boolean {
    return !this.#refreshing.has(slot) && now >= this.#retryAfter[slot]!
  }

  #newSlot(): number {
    const slot = this.#made++
    if (slot === this.#refs.length) this.#grow(slot * 2)
    return slot
  }

  #grow(n: number): void {
    const grown = <T extends Int32Array | Float64Array | Uint8Array | Uint32Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as new (n: number) => T)(n)
      if (fill !== 0) b.fill(fill)
      b.set(a)
      return b
    }
    this.#origTtl = grown(this.#origTtl)
    this.#stored = grown(this.#stored)
    this.#answers = grown(this.#answers)
    this.#hits = grown(this.#hits)
    this.#last = grown(this.#last)
    this.#retryAfter = grown(this.#retryAfter)
    this.#lkg = grown(this.#lkg, NONE)
    this.#refs = grown(this.#refs)
    this.#gen = grown(this.#gen)
    this.#free = grown(this.#free)
  }
}
