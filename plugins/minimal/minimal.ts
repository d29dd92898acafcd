// minimal: positive answers leave with their answer section only (CoreDNS plugin/minimal, BIND's
// minimal-responses). The reply of the chain below is held until that chain returns, as CoreDNS's
// nonwriter does: one that returns an error is dropped and the error answered instead. Denials
// (NXDOMAIN, NODATA: the SOA stays), errors and delegations pass unchanged.

import { typifyLayout } from '../../src/dns/response.ts'
import { WrappedWriter } from '../../src/dns/writer.ts'
import {
  nextOrFailure,
  type Handler,
  type HandlerResult,
  type Request,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { layout, setU16, type Layout } from '../../src/wire/message.ts'

/** Keeps the last reply written below instead of sending it. */
class HeldWriter extends WrappedWriter {
  wire: Uint8Array | undefined
  heldBy = ''

  override write(wire: Uint8Array, by: string): void {
    this.wire = wire
    this.heldBy = by
  }
}

/** The header, question and answer section of `wire`; authority and additional (OPT too) cut. */
function answerOnly(wire: Uint8Array, l: Layout): Uint8Array {
  if (l.ns === 0 && l.ar === 0) return wire
  // pointers only point back (forward validates its upstreams' replies), so the cut is clean
  const out = wire.slice(0, l.starts[l.an])
  setU16(out, 8, 0)
  setU16(out, 10, 0)
  return out
}

/** Sends what the chain below wrote, minimized when it is a positive answer. */
function release(w: ResponseWriter, r: Request, held: HeldWriter, rcode: number): number {
  const wire = held.wire
  // nothing written: the rcode is the server's to answer (CoreDNS would write a nil message)
  if (wire === undefined) return rcode
  let l: Layout | undefined
  try {
    l = layout(wire)
  } catch {
    // unreadable: CoreDNS's Typify says OTHERERROR, which passes unchanged
  }
  // only NOERROR is minimized: denials, errors (META and UPDATE among them) and delegations pass;
  // signatures count when the query had DO (forward takes the upstream's OPT out)
  if (l === undefined || typifyLayout(wire, l, Date.now() / 1000, r.do) !== 'NOERROR') {
    w.write(wire, held.heldBy)
  } else {
    w.write(answerOnly(wire, l), held.heldBy)
  }
  return 0
}

export function minimalHandler(next: Handler | undefined): Handler {
  return {
    name: 'minimal',
    serveDNS(ctx, w, r): HandlerResult {
      const held = new HeldWriter(w)
      const rc = nextOrFailure('minimal', next, ctx, held, r)
      if (typeof rc === 'number') return release(w, r, held, rc)
      return releaseLater(w, r, held, rc)
    },
  }
}

/** Apart from serveDNS, whose synchronous answers would else allocate this closure's context. */
function releaseLater(w: ResponseWriter, r: Request, held: HeldWriter, rc: Promise<number>): Promise<number> {
  return rc.then((code) => release(w, r, held, code))
}
