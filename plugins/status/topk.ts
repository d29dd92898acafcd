// Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005) in a fixed number of counters: a
// key not monitored takes over the smallest counter, inheriting its count as its possible
// overestimate. A flood of unique names or spoofed sources only churns the counters; memory
// stays at `capacity` keys. Counters sit in a min-heap, so that takeover is O(log capacity).

export interface Ranked {
  readonly key: string
  /** Estimated count: never below the true count, at most `error` above it. */
  readonly count: number
  readonly error: number
}

/** What merge() reads: a live TopK, or a merged one kept for a past minute. */
export interface Summary {
  readonly total: number
  readonly floor: number
  entries(): Iterable<Ranked>
  count(key: string): number
}

export class TopK implements Summary {
  readonly capacity: number
  /** Sum of every weight added (the stream's length). */
  total = 0
  readonly #slot = new Map<string, number>()
  readonly #keys: string[] = []
  readonly #counts: Float64Array
  readonly #errors: Float64Array

  constructor(capacity: number) {
    this.capacity = capacity
    this.#counts = new Float64Array(capacity)
    this.#errors = new Float64Array(capacity)
  }

  get size(): number {
    return this.#keys.length
  }

  /** The smallest count when every counter is taken (what an unmonitored key may have had). */
  get floor(): number {
    return this.#keys.length < this.capacity ? 0 : this.#counts[0]!
  }

  add(key: string, weight: number): void {
    this.total += weight
    const i = this.#slot.get(key)
    if (i !== undefined) {
      this.#counts[i]! += weight
      this.#down(i)
      return
    }
    const n = this.#keys.length
    if (n < this.capacity) {
      this.#keys.push(key)
      this.#counts[n] = weight
      this.#errors[n] = 0
      this.#slot.set(key, n)
      this.#up(n)
      return
    }
    const min = this.#counts[0]!
    this.#slot.delete(this.#keys[0]!)
    this.#keys[0] = key
    this.#slot.set(key, 0)
    this.#counts[0] = min + weight
    this.#errors[0] = min
    this.#down(0)
  }

  /** Estimated count of `key` (0 when it is not monitored, then at most `floor`). */
  count(key: string): number {
    const i = this.#slot.get(key)
    return i === undefined ? 0 : this.#counts[i]!
  }

  *entries(): Generator<Ranked> {
    for (let i = 0; i < this.#keys.length; i++) {
      yield { key: this.#keys[i]!, count: this.#counts[i]!, error: this.#errors[i]! }
    }
  }

  clear(): void {
    this.total = 0
    this.#slot.clear()
    this.#keys.length = 0
  }

  #swap(a: number, b: number): void {
    const k = this.#keys
    const c = this.#counts
    const e = this.#errors
    const ka = k[a]!
    k[a] = k[b]!
    k[b] = ka
    const ca = c[a]!
    c[a] = c[b]!
    c[b] = ca
    const ea = e[a]!
    e[a] = e[b]!
    e[b] = ea
    this.#slot.set(k[a]!, a)
    this.#slot.set(k[b]!, b)
  }

  #up(i: number): void {
    const c = this.#counts
    while (i > 0) {
      const p = (i - 1) >> 1
      if (c[p]! <= c[i]!) return
      this.#swap(i, p)
      i = p
    }
  }

  #down(i: number): void {
    const c = this.#counts
    const n = this.#keys.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) return
      const r = l + 1
      const m = r < n && c[r]! < c[l]! ? r : l
      if (c[i]! <= c[m]!) return
      this.#swap(i, m)
      i = m
    }
  }
}

export interface Merged {
  readonly top: Ranked[]
  /** Sum of the parts' totals. */
  readonly total: number
  /** No count listed is more than this above the truth; a key not listed had at most this. */
  readonly bound: number
}

/**
 * The `limit` largest of several summaries of disjoint stretches of a stream (mergeable
 * summaries, Agarwal et al. 2012): a key missing from a full part may have had up to that part's
 * floor there, which is added to its count and its error.
 */
export function merge(parts: readonly Summary[], limit: number): Merged {
  const acc = new Map<string, { count: number; error: number }>()
  let total = 0
  let floors = 0
  for (const part of parts) {
    total += part.total
    floors += part.floor
    for (const e of part.entries()) {
      const a = acc.get(e.key)
      if (a === undefined) acc.set(e.key, { count: e.count, error: e.error })
      else {
        a.count += e.count
        a.error += e.error
      }
    }
  }
  // a key listed in only some parts: count each other part's floor as possibly its own
  const top: Ranked[] = []
  for (const [key, a] of acc) {
    let missing = 0
    for (const part of parts) if (part.floor > 0 && part.count(key) === 0) missing += part.floor
    top.push({ key, count: a.count + missing, error: a.error + missing })
  }
  top.sort((x, y) => y.count - x.count || (x.key < y.key ? -1 : 1))
  top.length = Math.min(top.length, limit)
  return { top, total, bound: floors }
}

/** A merged minute, kept as a part of the ten-minute window. */
export class Frozen implements Summary {
  readonly total: number
  readonly floor: number
  readonly #counts = new Map<string, Ranked>()

  constructor(m: Merged, capacity: number) {
    this.total = m.total
    // a key cut from the list may have had up to the smallest count kept (or the parts' floors)
    this.floor = m.top.length < capacity ? m.bound : Math.max(m.bound, m.top.at(-1)!.count)
    for (const r of m.top) this.#counts.set(r.key, r)
  }

  entries(): Iterable<Ranked> {
    return this.#counts.values()
  }

  count(key: string): number {
    return this.#counts.get(key)?.count ?? 0
  }
}
