// Replies the server writes itself, byte for byte as CoreDNS/miekg build them.

import type { Request } from '../plugin/plugin.ts'
import { Rcode } from '../plugin/rcode.ts'
import { Flag, HEADER, setU16, TYPE_OPT, u16 } from './message.ts'

/** QR, the request's opcode, RD and CD copied for QUERY (miekg SetReply), and `rcode`. */
function replyFlags(reqFlags: number, rcode: number): number {
  const opcode = reqFlags & 0x7800
  let f = Flag.QR | opcode | (rcode & 0xf)
  if (opcode === 0) f |= reqFlags & (Flag.RD | Flag.CD)
  return f
}

/** Header-only reply for packets rejected before parsing (FORMERR, NOTIMP). */
export function headerReply(query: Uint8Array, rcode: number): Uint8Array {
  const out = new Uint8Array(HEADER)
  out[0] = query[0]!
  out[1] = query[1]!
  setU16(out, 2, replyFlags(u16(query, 2), rcode))
  return out
}

/** CoreDNS SetRcode(req, rcode): header and question copied, no RA, no records (OPT added by scrub). */
export function rcodeReply(req: Request, rcode: number): Uint8Array {
  const out = new Uint8Array(req.questionEnd)
  out.set(req.wire.subarray(0, req.questionEnd))
  setU16(out, 2, replyFlags(req.flags, rcode))
  setU16(out, 4, 1)
  setU16(out, 6, 0)
  setU16(out, 8, 0)
  setU16(out, 10, 0)
  return out
}

/** EDNS version != 0: BADVERS (16) as extended rcode 1 in an OPT with version 0 (RFC 6891 §6.1.3). */
export function badVersReply(req: Request): Uint8Array {
  const head = rcodeReply(req, Rcode.BadVers)
  const out = new Uint8Array(head.length + 11)
  out.set(head)
  setU16(out, 10, 1)
  const o = head.length
  // root name (0), type OPT, class (UDP size) 0, TTL: ext-rcode 1, version 0, flags 0, rdlen 0
  setU16(out, o + 1, TYPE_OPT)
  out[o + 5] = Rcode.BadVers >>> 4
  return out
}
