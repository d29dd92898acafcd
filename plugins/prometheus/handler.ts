// The prometheus chain link (CoreDNS plugin/metrics/handler.go): times the rest of the chain and
// records what it wrote. A synchronous answer costs one small object and no closure; only a
// chain that went asynchronous gets a continuation. Handed the server's own writer, which notes
// what the chain wrote to it, the link reads it back there instead of wrapping it.

import { performance } from 'node:perf_hooks'
import { WrappedWriter } from '../../src/dns/writer.ts'
import type {
  ChainInfo, Handler, HandlerResult, Request, RequestContext, ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { clientWrote } from '../../src/plugin/rcode.ts'
import { observeNext, type Observer } from '../../src/plugin/observe.ts'
import { ServerWriter } from '../../src/server/writer.ts'
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

  done(status: number): void {
    const family = this.remote.family
    record(this.#report, this.#req, family, this.#start, status, this.#rcode, this.#by, this.#size)
  }
}

/**
 * The same for a chain writing straight to the server's writer, which notes the first reply's
 * rcode, writer and length as written: nothing in between, ~70 bytes a query less.
 */
class ServerRecording implements Observer {
  readonly #w: ServerWriter
  readonly #req: Request
  readonly #report: ZoneReport
  readonly #start = performance.now()

  constructor(w: ServerWriter, req: Request, report: ZoneReport) {
    this.#w = w
    this.#req = req
    this.#report = report
  }

  done(status: number): void {
    const w = this.#w
    const rcode = w.written ? w.rcode : 0
    record(this.#report, this.#req, w.remote.family, this.#start, status, rcode, w.by, w.wrote)
  }
}

/**
 * The chain returned `status`; SERVFAIL and the like are the rcode the server then writes. The
 * reply as the chain wrote it, before the server truncates it, is what CoreDNS records (README),
 * whichever writers wrap this link; 0 when the server writes the error itself.
 */
function record(
  report: ZoneReport, req: Request, family: 4 | 6, start: number,
  status: number, rcode: number, by: string, size: number,
): void {
  const seconds = (performance.now() - start) / 1000
  report.record(req, family, clientWrote(status) ? rcode : status, by, size, seconds)
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
    const report = this.#report(ctx.zone)
    // a plugin before this one may wrap the writer and change the reply on its way (nsid):
    // then only a writer here sees it as the chain wrote it
    if (w instanceof ServerWriter) {
      return observeNext(this.name, this.#next, ctx, w, r, new ServerRecording(w, r, report))
    }
    const rec = new Recording(w, r, report)
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
