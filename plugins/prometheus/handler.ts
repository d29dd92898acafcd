// The prometheus chain link (CoreDNS plugin/metrics/handler.go): times the rest of the chain and
// records what it wrote. A synchronous answer costs one small object and no closure; only a
// chain that went asynchronous gets a continuation.

import { performance } from 'node:perf_hooks'
import { WrappedWriter } from '../../src/dns/writer.ts'
import type {
  ChainInfo, Handler, HandlerResult, Request, RequestContext, ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { clientWrote } from '../../src/plugin/rcode.ts'
import { observeNext } from '../../src/plugin/observe.ts'
import { rcodeOf } from '../../src/wire/message.ts'
import { ZoneReport } from './report.ts'

/** Passes writes through and notes the first one: its rcode and writer. */
class Recording extends WrappedWriter {
  readonly #req: Request
  readonly #report: ZoneReport
  readonly #start: number
  #written = false
  #rcode = 0
  #size = 0
  #by = ''

  constructor(w: ResponseWriter, req: Request, report: ZoneReport) {
    super(w)
    this.#req = req
    this.#report = report
    this.#start = performance.now()
  }

  override write(wire: Uint8Array, by: string): void {
    this.inner.write(wire, by)
    if (this.#written) return
    this.#written = true
    this.#rcode = rcodeOf(wire)
    this.#size = wire.length
    this.#by = by
  }

  /** The chain returned `status`; SERVFAIL and the like are the rcode the server then writes. */
  done(status: number): void {
    const rcode = clientWrote(status) ? this.#rcode : status
    const seconds = (performance.now() - this.#start) / 1000
    // The reply as the chain wrote it, before the server truncates it: what CoreDNS records
    // (README), whichever writers wrap this one; 0 when the server writes the error itself.
    this.#report.record(this.#req, this.remote.family, rcode, this.#by, this.#size, seconds)
  }
}

export class Metrics implements Handler {
  readonly name = 'prometheus'
  readonly #next: Handler | undefined
  readonly #server: string
  readonly #view: string
  /** By the server-block zone the query was routed by. */
  readonly #zones = new Map<string, ZoneReport>()

  constructor(next: Handler | undefined, chain: ChainInfo) {
    this.#next = next
    this.#server = chain.server
    this.#view = chain.view ?? ''
    for (const zone of chain.zones) this.#zones.set(zone, this.#newReport(zone))
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const rec = new Recording(w, r, this.#report(ctx.zone))
    return observeNext(this.name, this.#next, ctx, rec, r, rec)
  }

  #report(zone: string): ZoneReport {
    let z = this.#zones.get(zone)
    if (z === undefined) this.#zones.set(zone, (z = this.#newReport(zone)))
    return z
  }

  #newReport(zone: string): ZoneReport {
    return new ZoneReport(this.#server, zone, this.#view)
  }
}
