// The status chain link: it reads what went out from the writer it was handed (rcode, writing
// plugin: the ResponseWriter contract) instead of wrapping it. A query that is not sampled costs
// a countdown and the slice's counters; only a sampled one is timed and listed.

import { performance } from 'node:perf_hooks'
import { failureRcode } from '../../src/plugin/observe.ts'
import {
  nextOrFailure,
  PluginError,
  type Handler,
  type HandlerResult,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { Did, didOf, type BlockStats } from './stats.ts'

export class StatusHandler implements Handler {
  readonly name = 'status'
  readonly #next: Handler | undefined
  readonly #stats: BlockStats

  constructor(next: Handler | undefined, stats: BlockStats) {
    this.#next = next
    this.#stats = stats
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const s = this.#stats
    let start = -1
    if (--s.skip <= 0) {
      s.resample()
      start = performance.now()
    }
    let rc: HandlerResult
    try {
      rc = nextOrFailure(this.name, this.#next, ctx, w, r)
    } catch (err) {
      this.#failed(w, r, err, start)
      throw err
    }
    if (typeof rc === 'number') {
      this.#done(w, r, rc, start)
      return rc
    }
    return this.#later(w, r, rc, start)
  }

  /** Apart from serveDNS, whose synchronous answers would else allocate these closures' context. */
  #later(w: ResponseWriter, r: Request, rc: Promise<number>, start: number): Promise<number> {
    return rc.then(
      (status) => {
        this.#done(w, r, status, start)
        return status
      },
      (err: unknown) => {
        this.#failed(w, r, err, start)
        throw err
      },
    )
  }

  /** The chain returned `status`; when nothing was written the server answers that rcode. */
  #done(o: ResponseWriter, r: Request, status: number, start: number): void {
    const ms = start < 0 ? -1 : performance.now() - start
    if (o.rcode >= 0) this.#stats.done(o.remote.address, r.name, o.rcode, didOf(o.by), ms)
    else this.#stats.done(o.remote.address, r.name, status, Did.Unanswered, ms)
  }

  /** A returned error is answered with its rcode; one from forward still went upstream. */
  #failed(o: ResponseWriter, r: Request, err: unknown, start: number): void {
    if (o.rcode >= 0) return this.#done(o, r, o.rcode, start)
    const did = err instanceof PluginError && err.plugin === 'forward' ? Did.Forwarded : Did.Unanswered
    const ms = start < 0 ? -1 : performance.now() - start
    this.#stats.done(o.remote.address, r.name, failureRcode(err), did, ms)
  }
}
