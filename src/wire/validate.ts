// An upstream's reply, checked in full before anything caches or relays it (issue 14 item 8),
// in one walk over the bytes: every name (labels, pointers, 255 octets), every RR's header and
// RDATA length, the names and fixed-size fields inside the RDATA of the types miekg/dns unpacks
// (CoreDNS answers SERVFAIL where that unpack fails), and the OPT records. What passes is
// repaired as CoreDNS's unpack-and-repack would leave it: trailing bytes dropped, counts that
// promise more records than the message holds lowered, and the OPT records taken out, except one
// well-formed OPT (root owner, the last record) for a client that sent EDNS itself: CoreDNS
// relays that one (its options, EDE among them, say what the upstream can do; the scrub mirrors
// the client's size and DO into it). RFC 6891 allows one OPT, and none to a client that sent
// none; the cache never stores one. Nothing is allocated on the way but the repaired message's view.

import { HEADER, setU16, u16 } from './message.ts'
import { Type } from '../plugin/rrtype.ts'

/** Why a reply was refused. `short`: the bytes ran out mid-record, which miekg reports as an
 *  overflow and CoreDNS turns into an empty truncated reply over UDP. */
export class Invalid {
  readonly reason: string
  readonly short: boolean
  constructor(reason: string, short = false) {
    this.reason = reason
    this.short = short
  }
}

const SHORT = new Invalid('message ends inside a record', true)
const POINTER = new Invalid('compression pointer not to an earlier name')
const LABEL_TYPE = new Invalid('reserved label type')
const LONG_NAME = new Invalid('name exceeds 255 octets')
const RDLENGTH = new Invalid('bad rdlength')
const OPT_MOVED = new Invalid('OPT inside the message with names compressed after it')
const EXT_RCODE = new Invalid('extended rcode in the OPT')
const NO_QUESTION = new Invalid('no question')
const TOO_LONG = new Invalid('message exceeds 65535 octets')
// name() returns an offset, or one of these
const E_SHORT = -1
const E_POINTER = -2
const E_LABEL = -3
const E_LONG = -4
const NAME_ERRORS = [undefined, SHORT, POINTER, LABEL_TYPE, LONG_NAME] as const

const MAX_MESSAGE = 65535
const MAX_NAME = 255

/** Per offset of the message: the wire length of the name that starts there (a label, a
 *  pointer or the root of a name already walked), or 0. A pointer may only target such an
 *  offset, so it points backwards, to a label start, never into a loop, in one lookup. */
const suffix = new Uint8Array(MAX_MESSAGE + 1)
/** Label offsets of the name being walked (a name holds at most 127 labels). */
const labels = new Int32Array(128)
/** The first OPT's offset (the message length while none), and whether a pointer after it
 *  targets an offset at or past it (taking it out would then move that name). */
let firstOpt = 0
let pointsPastOpt = false

/** The outcome of the last `upstreamReply` (module state: checks never interleave). */
export const lastCheck = {
  /** A broken rule was repaired (OPT misplaced, non-root or repeated, trailing bytes, counts
   *  too high): counted like a refusal. */
  repaired: false,
}

/**
 * `reply` validated and repaired (a view of it, counts patched in place), or why it is refused.
 * forward calls it once checkReply has matched the reply's ID and question to the query.
 * `keepOpt` (the client sent EDNS): one well-formed OPT, the last record, stays as it is.
 */
export function upstreamReply(reply: Uint8Array, keepOpt = false): Uint8Array | Invalid {
  lastCheck.repaired = false
  const len = reply.length
  if (len > MAX_MESSAGE) return TOO_LONG
  if (len < HEADER) return SHORT
  suffix.fill(0, 0, len)
  firstOpt = len
  pointsPastOpt = false
  const qd = u16(reply, 4)
  if (qd === 0) return NO_QUESTION
  let off = HEADER
  for (let i = 0; i < qd; i++) {
    off = name(reply, off, len)
    if (off < 0) return NAME_ERRORS[-off]!
    off += 4
    if (off > len) return SHORT
  }
  const questionEnd = off
  let an = 0
  let ns = 0
  let ar = 0
  let opts = 0
  let extRcode = false
  let arOpts = 0
  let tailOpts = 0
  let tailStart = off
  walk: for (let s = 0; s < 3; s++) {
    const count = u16(reply, 6 + 2 * s)
    for (let i = 0; i < count; i++) {
      // miekg: counts that promise more records than the message holds are "a lie", not an error
      if (off === len) break walk
      const start = off
      off = name(reply, off, len)
      if (off < 0) return NAME_ERRORS[-off]!
      if (off + 10 > len) return SHORT
      const type = u16(reply, off)
      const rdStart = off + 10
      const rdEnd = rdStart + u16(reply, off + 8)
      if (rdEnd > len) return SHORT
      // miekg: empty RDATA is valid for every type (dynamic update)
      if (rdEnd > rdStart) {
        const bad = rdata(reply, type, rdStart, rdEnd)
        if (bad !== undefined) return bad
      }
      if (type === Type.OPT) {
        if (reply[off + 4] !== 0) extRcode = true
        if (opts++ === 0) firstOpt = start
        if (tailOpts++ === 0) tailStart = start
        if (s === 2) arOpts++
        if (s !== 2 || reply[start] !== 0 || opts > 1) lastCheck.repaired = true
      } else {
        tailOpts = 0
      }
      off = rdEnd
      if (s === 0) an++
      else if (s === 1) ns++
      else ar++
    }
  }
  if (off !== len || an !== u16(reply, 6) || ns !== u16(reply, 8) || ar !== u16(reply, 10)) {
    lastCheck.repaired = true
  }
  setU16(reply, 6, an)
  setU16(reply, 8, ns)
  setU16(reply, 10, ar)
  if (opts === 0) return off === len ? reply : reply.subarray(0, off)
  if (keepOpt && opts === 1 && tailOpts === 1 && arOpts === 1 && reply[tailStart] === 0) {
    return off === len ? reply : reply.subarray(0, off)
  }
  // the header's 4 bits alone would then say another rcode
  if (extRcode) return EXT_RCODE
  if (tailOpts === opts && arOpts === opts) {
    // the usual case: the OPT is the last record, cut it off
    setU16(reply, 10, ar - opts)
    return reply.subarray(0, tailStart)
  }
  if (pointsPastOpt) return OPT_MOVED
  return withoutOpts(reply, questionEnd, an, ns, ar)
}

/**
 * Takes OPT records out from between others. No name after the first OPT points at or past it,
 * so the records behind it move down intact; record boundaries are already checked.
 */
function withoutOpts(reply: Uint8Array, off: number, an: number, ns: number, ar: number):
  Uint8Array {
  const kept = [an, ns, ar]
  let w = off
  for (let i = 0; i < an + ns + ar; i++) {
    let r = off
    while (reply[r] !== 0 && (reply[r]! & 0xc0) === 0) r += reply[r]! + 1
    r += reply[r] === 0 ? 1 : 2
    const next = r + 10 + u16(reply, r + 8)
    if (u16(reply, r) === Type.OPT) kept[i < an ? 0 : i < an + ns ? 1 : 2]!--
    else {
      reply.copyWithin(w, off, next)
      w += next - off
    }
    off = next
  }
  setU16(reply, 6, kept[0]!)
  setU16(reply, 8, kept[1]!)
  setU16(reply, 10, kept[2]!)
  return reply.subarray(0, w)
}

/**
 * The offset just past the name at `off`, which must end before `limit`, or an E_ code. Its
 * labels are recorded in `suffix` as targets for later pointers.
 */
function name(buf: Uint8Array, off: number, limit: number): number {
  let n = 0
  let octets = 0
  let tail: number
  let end: number
  for (;;) {
    if (off >= limit) return E_SHORT
    const c = buf[off]!
    if (c === 0) {
      suffix[off] = tail = 1
      end = off + 1
      break
    }
    if ((c & 0xc0) === 0xc0) {
      if (off + 1 >= limit) return E_SHORT
      const target = ((c & 0x3f) << 8) | buf[off + 1]!
      tail = suffix[target]!
      if (tail === 0) return E_POINTER
      if (target >= firstOpt) pointsPastOpt = true
      if (octets + tail > MAX_NAME) return E_LONG
      suffix[off] = tail
      end = off + 2
      break
    }
    if ((c & 0xc0) !== 0) return E_LABEL
    octets += c + 1
    // the root octet still has to fit
    if (octets >= MAX_NAME) return E_LONG
    labels[n++] = off
    off += c + 1
  }
  while (n > 0) {
    const at = labels[--n]!
    tail += buf[at]! + 1
    suffix[at] = tail
  }
  return end
}

/**
 * The RDATA of the types whose layout miekg unpacks and tsdns depends on: fixed sizes, names
 * (walked, so later pointers may target them), character strings, EDNS options. Other types
 * are opaque bytes within their RDLENGTH. miekg reports running out of RDATA as an overflow
 * (SHORT) and RDATA left over as "bad rdlength".
 */
function rdata(buf: Uint8Array, type: number, start: number, end: number): Invalid | undefined {
  let off: number
  switch (type) {
    case Type.A:
      return fixed(start + 4, end)
    case Type.AAAA:
      return fixed(start + 16, end)
    case Type.NS: case Type.MD: case Type.MF: case Type.CNAME: case Type.MB: case Type.MG:
    case Type.MR: case Type.PTR: case Type.DNAME:
      off = name(buf, start, end)
      break
    case Type.SOA:
      off = names(buf, start, end, 2)
      if (off >= 0) return fixed(off + 20, end)
      break
    case Type.MINFO: case Type.RP:
      off = names(buf, start, end, 2)
      break
    case Type.MX: case Type.AFSDB: case Type.RT: case Type.KX:
      off = start + 2 > end ? E_SHORT : name(buf, start + 2, end)
      break
    case Type.PX:
      off = start + 2 > end ? E_SHORT : names(buf, start + 2, end, 2)
      break
    case Type.SRV:
      off = start + 6 > end ? E_SHORT : name(buf, start + 6, end)
      break
    case Type.NAPTR:
      off = strings(buf, start + 4, end, 3)
      if (off >= 0) off = name(buf, off, end)
      break
    case Type.SIG: case Type.RRSIG:
      // the signer's name; the signature after it is opaque
      return start + 18 > end ? SHORT : nameError(name(buf, start + 18, end))
    case Type.NSEC:
      // the next name; the type bitmap after it is opaque
      return nameError(name(buf, start, end))
    case Type.HINFO:
      off = strings(buf, start, end, 2)
      break
    case Type.TXT: case Type.SPF:
      off = strings(buf, start, end, Infinity)
      break
    case Type.OPT:
      for (off = start; off < end; off += 4 + u16(buf, off + 2)) if (off + 4 > end) return SHORT
      return off > end ? SHORT : undefined
    default:
      return undefined
  }
  return off < 0 ? NAME_ERRORS[-off] : off === end ? undefined : RDLENGTH
}

function fixed(at: number, end: number): Invalid | undefined {
  return at > end ? SHORT : at < end ? RDLENGTH : undefined
}

function nameError(off: number): Invalid | undefined {
  return off < 0 ? NAME_ERRORS[-off] : undefined
}

/** Past `n` consecutive names. */
function names(buf: Uint8Array, off: number, end: number, n: number): number {
  for (let i = 0; i < n && off >= 0; i++) off = name(buf, off, end)
  return off
}

/** Past up to `n` character strings (length octet, then data), stopping at `end`. */
function strings(buf: Uint8Array, off: number, end: number, n: number): number {
  for (let i = 0; i < n && (off < end || n !== Infinity); i++) {
    if (off >= end) return E_SHORT
    off += 1 + buf[off]!
    if (off > end) return E_SHORT
  }
  return off
}

/**
 * CoreDNS's answer to a UDP reply that ran out mid-record (proxy truncateResponse): the
 * upstream's header and question, no records, TC set, so the client (or prefer_udp) asks
 * again over TCP. In place, as a view.
 */
export function truncatedReply(reply: Uint8Array, questionEnd: number): Uint8Array {
  reply[2] = reply[2]! | 0x02
  setU16(reply, 6, 0)
  setU16(reply, 8, 0)
  setU16(reply, 10, 0)
  return reply.subarray(0, questionEnd)
}
