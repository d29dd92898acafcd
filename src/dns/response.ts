// What kind of answer a reply is: CoreDNS 1.14.7 plugin/pkg/response (Typify, Classify), read
// from the wire bytes. log filters and prints it, minimal trims by it, cache keys its policy off
// it (and adds its own rules on top, see plugins/cache/reply.ts).

import { Rcode } from '../plugin/rcode.ts'
import { Type } from '../plugin/rrtype.ts'
import { HEADER, layout, rcodeOf, rrType, u16, u32, type Layout } from '../wire/message.ts'

export type ResponseType =
  | 'NOERROR'
  | 'NXDOMAIN'
  | 'SERVERERROR'
  | 'NODATA'
  | 'DELEGATION'
  | 'META'
  | 'UPDATE'
  | 'OTHERERROR'

export type ResponseClass = 'success' | 'denial' | 'error'

const OPCODE_NOTIFY = 4
const OPCODE_UPDATE = 5
/** RFC 1982 serial arithmetic window of RRSIG times (miekg year68). */
const YEAR68 = 2 ** 31
const DNSSEC_OK = 0x8000

/** The rcode with the OPT's extended bits (miekg Msg.Rcode). */
export function fullRcode(wire: Uint8Array, l: Layout): number {
  if (l.opt < 0) return rcodeOf(wire)
  return ((u32(wire, l.ttls[l.opt]!) >>> 24) << 4) | rcodeOf(wire)
}

/** miekg RRSIG.ValidityPeriod: inception <= now <= expiration, in serial arithmetic. */
function sigValid(wire: Uint8Array, rdata: number, now: number): boolean {
  const expiration = u32(wire, rdata + 8)
  const inception = u32(wire, rdata + 12)
  const ti = inception + Math.trunc((inception - now) / YEAR68) * YEAR68
  const te = expiration + Math.trunc((expiration - now) / YEAR68) * YEAR68
  return ti <= now && now <= te
}

function anySigExpired(wire: Uint8Array, l: Layout, now: number): boolean {
  for (let i = 0; i < l.ttls.length; i++) {
    if (rrType(wire, l, i) !== Type.RRSIG) continue
    const rdata = l.ttls[i]! + 6
    if (l.starts[i + 1]! - rdata < 18 || !sigValid(wire, rdata, now)) return true
  }
  return false
}

/** Whether the authority section holds an SOA (the negative TTL of RFC 2308 comes from it). */
export function hasSoa(wire: Uint8Array, l: Layout): boolean {
  for (let i = l.an; i < l.an + l.ns; i++) if (rrType(wire, l, i) === Type.SOA) return true
  return false
}

/**
 * response.Typify of a laid-out reply; `now` in Unix seconds (expired signatures). Signatures
 * count when the reply has DO, or when `dnssec` says the query had it (forward takes an
 * upstream's OPT out, and an upstream answers DO only to DO, RFC 3225).
 */
export function typifyLayout(wire: Uint8Array, l: Layout, now: number, dnssec = false): ResponseType {
  const opcode = (u16(wire, 2) >>> 11) & 0xf
  if (opcode === OPCODE_UPDATE) return 'UPDATE'
  if (opcode === OPCODE_NOTIFY) return 'META'
  if (u16(wire, 4) > 0) {
    const qtype = u16(wire, l.questionEnd - 4)
    if (qtype === Type.AXFR || qtype === Type.IXFR) return 'META'
  }
  const replyDo = l.opt >= 0 && (u32(wire, l.ttls[l.opt]!) & DNSSEC_OK) !== 0
  if ((dnssec || replyDo) && anySigExpired(wire, l, now)) return 'OTHERERROR'
  const rcode = fullRcode(wire, l)
  if (l.an > 0) {
    if (rcode === 0) return 'NOERROR'
    if (rcode === Rcode.NXDomain) return 'OTHERERROR'
  }
  let soa = false
  let ns = 0
  for (let i = l.an; i < l.an + l.ns; i++) {
    const t = rrType(wire, l, i)
    if (t === Type.SOA) soa = true
    else if (t === Type.NS) ns++
  }
  if (soa && rcode === 0) return 'NODATA'
  if (rcode === Rcode.NXDomain) return 'NXDOMAIN' // with or without an SOA, since 1.14.5
  if (rcode === 2 || rcode === 4) return 'SERVERERROR'
  if (ns > 0 && rcode === 0) return 'DELEGATION'
  if (rcode === 0) return 'NOERROR'
  return 'OTHERERROR'
}

/** response.Typify of a reply's bytes (nothing written, or unreadable: OTHERERROR). */
export function typify(wire: Uint8Array | undefined, now: number): ResponseType {
  if (wire === undefined || wire.length < HEADER) return 'OTHERERROR'
  let l: Layout
  try {
    l = layout(wire)
  } catch {
    return 'OTHERERROR'
  }
  return typifyLayout(wire, l, now)
}

/** response.Classify. */
export function classify(t: ResponseType): ResponseClass {
  switch (t) {
    case 'NOERROR':
    case 'DELEGATION':
      return 'success'
    case 'NXDOMAIN':
    case 'NODATA':
      return 'denial'
    default:
      return 'error'
  }
}
