// Replies the server writes itself, byte for byte as CoreDNS/miekg build them.

import type { Request } from '../plugin/plugin.ts'
import { Rcode } from '../plugin/rcode.ts'
import { Flag, HEADER, setU16, u16 } from './message.ts'
import { expandName, skipName } from './name.ts'
import { Type } from '../plugin/rrtype.ts'

/** QR, the request's opcode, RD and CD copied for QUERY (miekg SetReply), and `rcode`. */
function replyFlags(reqFlags: number, rcode: number): number {
  const opcode = reqFlags & 0x7800
  let f = Flag.QR | opcode | (rcode & 0xf)
  if (opcode === 0) f |= reqFlags & (Flag.RD | Flag.CD)
  return f
}

/**
 * The reply to a packet parseQuery turned away, as miekg's serveDNS writes it: the request's own
 * header with QR set and AA and Z cleared, so TC, RD, RA, AD and CD stay as the client sent them
 * (unlike SetReply). FORMERR goes out as opcode QUERY (SetRcodeFormatError), NOTIMP keeps the
 * opcode. No question, never an OPT. SERVFAIL is CoreDNS's answer to a bare header (no question
 * bytes): SetRcode flags.
 */
export function headerReply(query: Uint8Array, rcode: number, question?: Uint8Array): Uint8Array {
  const reqFlags = u16(query, 2)
  let flags: number
  if (rcode === Rcode.ServFail) flags = replyFlags(reqFlags, rcode)
  else {
    const opcode = rcode === Rcode.NotImp ? reqFlags & 0x7800 : 0
    flags = Flag.QR | opcode | (reqFlags & (Flag.TC | Flag.RD | Flag.RA | Flag.AD | Flag.CD)) | rcode
  }
  const out = new Uint8Array(HEADER + (question?.length ?? 0))
  out[0] = query[0]!
  out[1] = query[1]!
  setU16(out, 2, flags)
  if (question) {
    setU16(out, 4, 1)
    out.set(question, HEADER)
  }
  return out
}

/**
 * FORMERR for a packet that passed the header filter but failed to unpack: miekg keeps what it
 * had unpacked, so the question comes back when it was read whole (its name re-packed without
 * pointers).
 */
export function unpackErrorReply(query: Uint8Array): Uint8Array {
  return headerReply(query, Rcode.FormErr, readQuestion(query))
}

/** The first question, name expanded, or undefined when it is not all there. */
function readQuestion(query: Uint8Array): Uint8Array | undefined {
  try {
    const name = expandName(query, HEADER)
    const end = skipName(query, HEADER)
    if (end + 4 > query.length) return undefined
    const q = new Uint8Array(name.length + 4)
    q.set(name)
    q.set(query.subarray(end, end + 4), name.length)
    return q
  } catch {
    return undefined
  }
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
  setU16(out, o + 1, Type.OPT)
  out[o + 5] = Rcode.BadVers >>> 4
  return out
}
