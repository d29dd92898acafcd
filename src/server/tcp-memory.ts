// The TCP memory budget shared by every connection of the process: bytes read and not yet parsed
// plus answers not yet taken by the kernel. Each connection already stops reading at its own
// bounds (tcp-conn.ts); this one caps their sum, which 1,024 connections at their bounds would
// otherwise take past a pod's memory limit. Over the budget, a connection holding more than an
// even share stops reading: the ones filling it pay, a connection holding a few bytes never does.

import { shedCounter } from '../plugin/metrics.ts'

const SHED = shedCounter('tcp_memory')

/** What the budget tells when it has room again. */
export interface MemoryHolder {
  memoryFreed(): void
}

export class TcpMemory {
  /** Bytes all connections may hold before the largest holders stop reading. */
  readonly limit: number
  #total = 0
  #holders = 0
  readonly #waiting = new Set<MemoryHolder>()

  constructor(limit: number) {
    this.limit = limit
  }

  get total(): number {
    return this.#total
  }

  open(): void {
    this.#holders++
  }

  close(c: MemoryHolder, held: number): void {
    this.#holders--
    this.#waiting.delete(c)
    this.change(-held)
  }

  /** A holder's bytes changed by delta. Falling to 3/4 of the limit wakes the waiting ones. */
  change(delta: number): void {
    this.#total += delta
    if (delta < 0 && this.#waiting.size > 0 && this.#total * 4 <= this.limit * 3) {
      const woken = [...this.#waiting]
      this.#waiting.clear()
      for (const c of woken) c.memoryFreed()
    }
  }

  /** Whether a holder of `held` bytes must stop reading: over the budget and over its share. */
  over(held: number): boolean {
    return this.#total > this.limit && held * this.#holders > this.limit
  }

  /** c stopped reading for the budget: counted, and woken once the budget has room. */
  wait(c: MemoryHolder): void {
    SHED.value++
    this.#waiting.add(c)
  }
}
