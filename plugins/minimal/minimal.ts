// minimal: positive answers leave with their answer section only (CoreDNS plugin/minimal, BIND's
// minimal-responses). The reply of the chain below is held until that chain returns, as CoreDNS's
// nonwriter does: one that returns an error is dropped and the error answered instead. Denials
// (NXDOMAIN, NODATA: the SOA stays), errors and delegations pass unchanged.

import { WrappedWriter } from '../../src/dns/writer.ts'
import {
  nextOrFailure,
  type Handler,
  type HandlerResult,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { layout, setU16 } from '../../src/wire/message.ts'
import { typify } from '../log/typify.ts'

/** Keeps the last reply written below instead of sending it. */
class HeldWriter extends WrappedWriter {
  wire: Uint8Array | undefined
  by = ''

  override write(wire: Uint8Array, by: string): void {
    this.wire = wire
    this.by = by
  }
}

/** The header, question and answer section of `wire`; authority and additional (OPT too) cut. */
export function answerOnly(wire: Uint8Array): Uint8Array {
  const l = layout(wire)
  if (l.ns === 0 && l.ar === 0) return wire
  // pointers only point back (forward validates its upstreams' replies), so the cut is clean
  const out = wire.slice(0, l.starts[l.an])
  setU16(out, 8, 0)
  setU16(out, 10, 0)
  return out
}

/** Sends what the chain below wrote, minimized when it is a positive answer. */
function release(w: ResponseWriter, held: HeldWriter, rcode: number): number {
  const wire = held.wire
  // nothing written: the rcode is the server's to answer (CoreDNS would write a nil message)
  if (wire === undefined) return rcode
  // only NOERROR is left once denials, errors (META and UPDATE among them) and delegations pass
  const type = typify(wire, Date.now() / 1000)
  if (type !== 'NOERROR') {
    w.write(wire, held.by)
    return 0
  }
  w.write(answerOnly(wire), held.by)
  return 0
}

export function minimalHandler(next: Handler | undefined): Handler {
  return {
    name: 'minimal',
    serveDNS(ctx, w, r): HandlerResult {
      const held = new HeldWriter(w)
      const rc = nextOrFailure('minimal', next, ctx, held, r)
      return typeof rc === 'number' ? release(w, held, rc) : rc.then((code) => release(w, held, code))
    },
  }
}
