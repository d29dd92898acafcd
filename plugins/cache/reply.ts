// What the cache reads from a reply's bytes, without decoding it: CoreDNS's response type
// (plugin/pkg/response Typify), the TTL to keep it for (dnsutil.MinimalTTL, plus RFC 2308's SOA
// MINIMUM for negative answers), whether it is the reply to the question asked (request.Match)
// and whether its answer section resolves the question (for serve_stale_policy prefer_positive).

import { Flag, HEADER, type Layout, rrType, u16, u32 } from '../../src/wire/message.ts'
import { lowerName, readName } from '../../src/wire/name.ts'

export const Kind = {
  NoError: 0,
  NameError: 1,
  ServerError: 2,
  NoData: 3,
  Delegation: 4,
  Meta: 5,
  Update: 6,
  OtherError: 7,
} as const

const TYPE_NS = 2
const TYPE_CNAME = 5
const TYPE_SOA = 6
const TYPE_RRSIG = 46
const TYPE_IXFR = 251
const TYPE_AXFR = 252
const TYPE_ANY = 255
const OPCODE_NOTIFY = 4
const OPCODE_UPDATE = 5
/** dnsutil.MinimalDefaultTTL and MaximumDefaultTTL, in seconds. */
export const MIN_TTL = 5
export const MAX_TTL = 3600

/**
 * The response type. Unlike CoreDNS, a NOERROR reply with no answer, no SOA and no NS is an
 * OtherError (never cached): RFC 2308 §5 says a negative answer without an SOA is not cached.
 * Signatures are checked when the reply has DO, or `dnssec` (the query had DO: forward takes
 * an upstream's OPT out, and an upstream answers DO only to DO, RFC 3225).
 */
export function classify(buf: Uint8Array, l: Layout, nowSec: number, dnssec = false): number {
  const opcode = (buf[2]! >>> 3) & 0xf
  if (opcode === OPCODE_UPDATE) return Kind.Update
  if (opcode === OPCODE_NOTIFY) return Kind.Meta
  if (u16(buf, 4) > 0) {
    const qtype = u16(buf, l.questionEnd - 4)
    if (qtype === TYPE_AXFR || qtype === TYPE_IXFR) return Kind.Meta
  }
  if ((dnssec || replyDo(buf, l)) && expiredSignature(buf, l, nowSec)) return Kind.OtherError
  const rcode = buf[3]! & 0xf
  if (l.an > 0 && rcode === 0) return Kind.NoError
  let soa = false
  let ns = 0
  for (let i = l.an; i < l.an + l.ns; i++) {
    const t = rrType(buf, l, i)
    if (t === TYPE_SOA) soa = true
    else if (t === TYPE_NS) ns++
  }
  if (soa && rcode === 0) return Kind.NoData
  if (soa && rcode === 3) return Kind.NameError
  if (rcode === 2 || rcode === 4) return Kind.ServerError
  if (ns > 0 && rcode === 0) return Kind.Delegation
  return Kind.OtherError
}

export function isDenial(kind: number): boolean {
  return kind === Kind.NameError || kind === Kind.NoData || kind === Kind.ServerError
}

/** Types cached at all (response.OtherError, Meta and Update are not). */
export function isCacheable(kind: number): boolean {
  return kind <= Kind.Delegation
}

/** The smallest TTL in the message in seconds, capped at 3600, 5 when there is nothing to read. */
export function minimalTtl(buf: Uint8Array, l: Layout, kind: number): number {
  if (kind !== Kind.NoError && kind !== Kind.NameError && kind !== Kind.NoData) return MIN_TTL
  if (l.an + l.ns === 0 && (l.ar === 0 || (l.ar === 1 && l.opt >= 0))) return MIN_TTL
  let min = MAX_TTL
  for (let i = 0; i < l.ttls.length; i++) {
    if (i === l.opt) continue
    const ttl = u32(buf, l.ttls[i]!)
    if (ttl < min) min = ttl
  }
  if (kind !== Kind.NoError) {
    // RFC 2308 §5: a negative answer lives min(SOA TTL, SOA MINIMUM); MINIMUM ends the rdata.
    for (let i = l.an; i < l.an + l.ns; i++) {
      const end = l.starts[i + 1]!
      if (rrType(buf, l, i) === TYPE_SOA && end - (l.ttls[i]! + 6) >= 22) {
        const minimum = u32(buf, end - 4)
        if (minimum < min) min = minimum
      }
    }
  }
  return min
}

function replyDo(buf: Uint8Array, l: Layout): boolean {
  return l.opt >= 0 && (u32(buf, l.ttls[l.opt]!) & 0x8000) !== 0
}

const YEAR68 = 2 ** 31

/** miekg RRSIG.ValidityPeriod over every RRSIG, in RFC 1982 serial arithmetic. */
function expiredSignature(buf: Uint8Array, l: Layout, nowSec: number): boolean {
  for (let i = 0; i < l.ttls.length; i++) {
    if (rrType(buf, l, i) !== TYPE_RRSIG) continue
    const rdata = l.ttls[i]! + 6
    if (l.starts[i + 1]! - rdata < 18) return true
    const expiration = u32(buf, rdata + 8)
    const inception = u32(buf, rdata + 12)
    const ti = inception + Math.trunc((inception - nowSec) / YEAR68) * YEAR68
    const te = expiration + Math.trunc((expiration - nowSec) / YEAR68) * YEAR68
    if (!(ti <= nowSec && nowSec <= te)) return true
  }
  return false
}

function fold(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c
}

/**
 * request.Match on bytes: a response with one question whose name (case-insensitively), type
 * and class are the query's. Both names must be uncompressed, so the two questions have the
 * same length and the query's can later be written over the stored one.
 */
export function sameQuestion(reply: Uint8Array, questionEnd: number, query: Uint8Array): boolean {
  if ((u16(reply, 2) & Flag.QR) === 0 || u16(reply, 4) !== 1) return false
  let i = HEADER
  for (;;) {
    if (i >= questionEnd) return false
    const len = reply[i]!
    if (len !== query[i]) return false
    if (len === 0) break
    if (len > 63) return false
    for (let j = i + 1; j <= i + len; j++) {
      if (fold(reply[j]!) !== fold(query[j] ?? -1)) return false
    }
    i += len + 1
  }
  if (i + 5 !== questionEnd) return false
  for (let j = i + 1; j < questionEnd; j++) if (reply[j] !== query[j]) return false
  return true
}

/**
 * True when the answer section gets from `qname` (lowercased FQDN) to an RRset of `qtype`,
 * following CNAMEs: the only kind of positive answer prefer_positive keeps over a denial.
 */
export function answersQuestion(buf: Uint8Array, l: Layout, qname: string, qtype: number): boolean {
  let target = qname
  for (let hop = 0; hop <= l.an; hop++) {
    let next: string | undefined
    for (let i = 0; i < l.an; i++) {
      if (lowerName(readName(buf, l.starts[i]!)) !== target) continue
      const t = rrType(buf, l, i)
      if (t === qtype || qtype === TYPE_ANY) return true
      if (t === TYPE_CNAME) next = lowerName(readName(buf, l.ttls[i]! + 6))
    }
    if (next === undefined) return false
    target = next
  }
  return false
}
