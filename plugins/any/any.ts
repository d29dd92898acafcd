// any: answer qtype ANY with the RFC 8482 HINFO instead of everything known about the name
// (CoreDNS plugin/any). Other types pass through.

import { nextOrFailure, type Handler } from '../../src/plugin/plugin.ts'
import { setU16, setU32 } from '../../src/wire/message.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import { Class, Type } from '../../src/plugin/rrtype.ts'

const TTL = 8482
const CPU = 'ANY obsoleted'
const OS = 'See RFC 8482'

/** SetReply plus one HINFO for the qname as sent, uncompressed as miekg packs it. */
function hinfoReply(wire: Uint8Array, questionEnd: number, head: Uint8Array): Uint8Array {
  const name = wire.subarray(12, questionEnd - 4)
  const rdata = 2 + CPU.length + OS.length
  const out = new Uint8Array(head.length + name.length + 10 + rdata)
  out.set(head)
  setU16(out, 6, 1)
  let o = head.length
  out.set(name, o)
  o += name.length
  setU16(out, o, Type.HINFO)
  setU16(out, o + 2, Class.IN)
  setU32(out, o + 4, TTL)
  setU16(out, o + 8, rdata)
  o += 10
  for (const s of [CPU, OS]) {
    out[o++] = s.length
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i)
  }
  return out
}

export function anyHandler(next: Handler | undefined): Handler {
  return {
    name: 'any',
    serveDNS(ctx, w, r) {
      if (r.type !== Type.ANY) return nextOrFailure('any', next, ctx, w, r)
      w.write(hinfoReply(r.wire, r.questionEnd, rcodeReply(r, 0)), 'any')
      return 0
    },
  }
}
