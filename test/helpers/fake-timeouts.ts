// A clock a test moves by hand, standing in for the global setTimeout/clearTimeout while sockets
// stay real. node:test's mock timers would do, but their refresh() does not move the due time
// (Node 24), and the TCP connection's idle deadline is exactly a refreshed timeout.

import type { TestContext } from 'node:test'

const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

/** One pending callback; the methods are those of Node's Timeout that product code calls. */
class FakeTimeout {
  due: number
  readonly run: () => void
  readonly #clock: FakeTimeouts
  readonly #ms: number

  constructor(clock: FakeTimeouts, ms: number, run: () => void) {
    this.#clock = clock
    this.#ms = ms
    this.run = run
    this.due = clock.now + ms
  }

  refresh(): this {
    this.due = this.#clock.now + this.#ms
    this.#clock.pending.add(this)
    return this
  }

  unref(): this {
    return this
  }

  ref(): this {
    return this
  }

  hasRef(): boolean {
    return true
  }
}

export class FakeTimeouts {
  /** Milliseconds since install. */
  now = 0
  readonly pending = new Set<FakeTimeout>()

  /** Replaces the global setTimeout/clearTimeout until the test `t` ends. */
  static install(t: TestContext): FakeTimeouts {
    const clock = new FakeTimeouts()
    const fakeSet = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]): FakeTimeout => {
      const timer = new FakeTimeout(clock, Math.max(1, ms), () => fn(...args))
      clock.pending.add(timer)
      return timer
    }
    const fakeClear = (timer: unknown): void => {
      if (timer instanceof FakeTimeout) clock.pending.delete(timer)
      else realClearTimeout(timer as Parameters<typeof clearTimeout>[0])
    }
    globalThis.setTimeout = fakeSet as unknown as typeof setTimeout
    globalThis.clearTimeout = fakeClear as typeof clearTimeout
    t.after(() => {
      globalThis.setTimeout = realSetTimeout
      globalThis.clearTimeout = realClearTimeout
    })
    return clock
  }

  /** Moves the clock `ms` on, running what falls due in due order (at most 10,000 callbacks). */
  advance(ms: number): void {
    const end = this.now + ms
    for (let fired = 0; fired < 10_000; fired++) {
      let next: FakeTimeout | undefined
      for (const timer of this.pending) {
        if (timer.due <= end && (next === undefined || timer.due < next.due)) next = timer
      }
      if (next === undefined) break
      this.pending.delete(next)
      this.now = next.due
      next.run()
    }
    this.now = end
  }
}

/** Polls `cond` on the real timer (also while FakeTimeouts is installed), for at most `ms`. */
export async function eventually(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (let i = 0; i < ms / 10 && !cond(); i++) {
    await new Promise((r) => realSetTimeout(r, 10))
  }
  return cond()
}
