// The status chain link: first in the chain, so it is handed the server's own writer and reads
// what went out from it (rcode, writing plugin) instead of wrapping it. A query that is not
// sampled costs a countdown and the slice's counters; only a sampled one is timed and listed.

import { performance } from 'node:perf_hooks'
import { failureRcode } from '../../src/plugin/observe.ts'
import { WrappedWriter } from '../../src/dns/writer.ts'
import {
  nextOrFailure,
  PluginError,
  type Handler,
  type HandlerResult,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { ServerWriter } from '../../src/server/writer.ts'
import { rcodeOf } from '../../src/wire/message.ts'
import { Did, didOf, type BlockStats } from './stats.ts'

/** What the status link reads once the chain is done; the server's writer has it all. */
interface Outcome extends ResponseWriter {
  readonly written: boolean
  readonly rcode: number
  readonly by: string
}

/** For a writer that is not the server's (a plugin ahead of status wrapped it, tests). */
class Noting extends WrappedWriter implements Outcome {
  written = false
  rcode = 0
  by = ''

  override write(wire: Uint8Array, by: string): void {
    if (!this.written) {
      this.written = true
      this.rcode = rcodeOf(wire)
      this.by = by
    }
    this.inner.write(wire, by)
  }
}

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
    const o: Outcome = w instanceof ServerWriter ? w : new Noting(w)
    let start = -1
    if (--s.skip <= 0) {
      s.resample()
      start = performance.now()
    }
    let rc: HandlerResult
    try {
      rc = nextOrFailure(this.name, this.#next, ctx, o, r)
    } catch (err) {
      this.#failed(o, r, err, start)
      throw err
    }
    if (typeof rc === 'number') {
      this.#done(o, r, rc, start)
      return rc
    }
    return rc.then(
      (status) => {
        this.#done(o, r, status, start)
        return status
      },
      (err: unknown) => {
        this.#failed(o, r, err, start)
        throw err
      },
    )
  }

  /** The chain returned `status`; when nothing was written the server answers that rcode. */
  #done(o: Outcome, r: Request, status: number, start: number): void {
    const ms = start < 0 ? -1 : performance.now() - start
    if (o.written) this.#stats.done(o.remote.address, r.name, o.rcode, didOf(o.by), ms)
    else this.#stats.done(o.remote.address, r.name, status, Did.Unanswered, ms)
  }

  /** A returned error is answered with its rcode; one from forward still went upstream. */
  #failed(o: Outcome, r: Request, err: unknown, start: number): void {
    if (o.written) return this.#done(o, r, o.rcode, start)
    const did = err instanceof PluginError && err.plugin === 'forward' ? Did.Forwarded : Did.Unanswered
    const ms = start < 0 ? -1 : performance.now() - start
    this.#stats.done(o.remote.address, r.name, failureRcode(err), did, ms)
  }
}
