// whoami: tells the client its own address, port and transport (CoreDNS plugin/whoami).
// The reply is built as bytes from the request's own header and question (miekg SetReply copies
// the question as sent): a message encoder that does not know the query type (HTTPS, SVCB,
// TYPE65000) or class (NONE) would write 0 there, and dig rejects the mismatched question.

import type { Handler } from '../../src/plugin/plugin.ts'
import { Flag, HEADER, setU16, setU32 } from '../../src/wire/message.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import { parseIp } from '../../src/dns/ip.ts'
import { Type } from '../../src/plugin/rrtype.ts'

const MAX_NAME_OCTETS = 255

/** One record with TTL 0 and the query's class; `owner` is wire-format, uncompressed (as miekg). */
function record(owner: Uint8Array, type: number, klass: number, rdata: Uint8Array): Uint8Array {
  const out = new Uint8Array(owner.length + 10 + rdata.length)
  out.set(owner)
  let o = owner.length
  setU16(out, o, type)
  setU16(out, o + 2, klass)
  setU32(out, o + 4, 0)
  setU16(out, o + 8, rdata.length)
  out.set(rdata, o + 10)
  return out
}

export const whoami: Handler = {
  name: 'whoami',
  serveDNS(_ctx, w, r) {
    const head = rcodeReply(r, 0)
    const qname = r.wire.subarray(HEADER, r.questionEnd - 4)
    const klass = r.class
    const ip = parseIp(w.remote.address) ?? new Uint8Array(w.remote.family === 4 ? 4 : 16)
    const addr = record(qname, ip.length === 4 ? Type.A : Type.AAAA, klass, ip)
    // _udp.<qname> (for the root, _udp.), priority 0, weight 0, the client's port, target "."
    const label = `_${r.proto}`
    // a qname of 251 octets or more leaves no room for the label: miekg cannot pack that reply
    if (qname.length + 1 + label.length > MAX_NAME_OCTETS) return Rcode.ServFail
    const srvOwner = new Uint8Array(1 + label.length + qname.length)
    srvOwner[0] = label.length
    for (let i = 0; i < label.length; i++) srvOwner[1 + i] = label.charCodeAt(i)
    srvOwner.set(qname, 1 + label.length)
    const srvData = new Uint8Array(7)
    setU16(srvData, 4, w.remote.port)
    const srv = record(srvOwner, Type.SRV, klass, srvData)
    const out = new Uint8Array(head.length + addr.length + srv.length)
    out.set(head)
    out.set(addr, head.length)
    out.set(srv, head.length + addr.length)
    out[2]! |= Flag.AA >>> 8
    setU16(out, 10, 2)
    w.write(out, 'whoami')
    return 0
  },
}
