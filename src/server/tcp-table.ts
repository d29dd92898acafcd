// The connection table of a TCP listener: a bound per source address and one in all, neither of
// which refuses a newcomer. A source at its bound loses its own idlest connection; a full table
// loses the idlest connection of the source holding the most (RFC 7766 section 6.2.2: close the
// idle ones first, and the ones of clients holding many). Idleness is the order of each
// connection's last complete message, a counter rather than a clock: nothing to read per message.

import { shedCounter } from '../plugin/metrics.ts'

const SHED_PER_SOURCE = shedCounter('tcp_conns_per_source')
const SHED_TOTAL = shedCounter('tcp_conns_total')

export interface Slot {
  /** The client's address (pods on a node have one each; hostNetwork ones share the node's). */
  readonly source: string
  /** Order of the last complete message (or of the accept): the lowest is the idlest. */
  active: number
  /** Closes the connection at once. */
  evict(): void
}

export class ConnectionTable<S extends Slot> {
  readonly perSource: number
  readonly total: number
  readonly #bySource = new Map<string, Set<S>>()
  #size = 0
  #seq = 0

  constructor(perSource: number, total: number) {
    this.perSource = perSource
    this.total = total
  }

  get size(): number {
    return this.#size
  }

  /** Takes a newcomer in, evicting another connection if a bound is reached: it always gets in. */
  admit(s: S): void {
    let mine = this.#bySource.get(s.source)
    if (mine !== undefined && mine.size >= this.perSource) {
      SHED_PER_SOURCE.value++
      this.#evict(mine)
    } else if (this.#size >= this.total) {
      SHED_TOTAL.value++
      this.#evict(this.#largest())
    }
    if (mine === undefined) {
      mine = new Set()
      this.#bySource.set(s.source, mine)
    }
    mine.add(s)
    this.#size++
    this.touch(s)
  }

  /** s completed a message: it is now the least idle. */
  touch(s: S): void {
    s.active = ++this.#seq
  }

  remove(s: S): void {
    const mine = this.#bySource.get(s.source)
    if (mine === undefined || !mine.delete(s)) return
    this.#size--
    if (mine.size === 0) this.#bySource.delete(s.source)
  }

  forEach(fn: (s: S) => void): void {
    for (const mine of this.#bySource.values()) for (const s of mine) fn(s)
  }

  #evict(from: Set<S>): void {
    let idlest: S | undefined
    for (const s of from) if (idlest === undefined || s.active < idlest.active) idlest = s
    this.remove(idlest!)
    idlest!.evict()
  }

  /** The source holding the most connections; of equals, the one whose idlest is idler. */
  #largest(): Set<S> {
    let best: Set<S> | undefined
    let bestIdle = Infinity
    for (const mine of this.#bySource.values()) {
      if (best !== undefined && mine.size < best.size) continue
      let idle = Infinity
      for (const s of mine) idle = Math.min(idle, s.active)
      if (best === undefined || mine.size > best.size || idle < bestIdle) {
        best = mine
        bestIdle = idle
      }
    }
    return best!
  }
}
