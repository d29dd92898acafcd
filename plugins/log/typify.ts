// What kind of answer a reply is (CoreDNS plugin/pkg/response typify.go and classify.go), read
// from the wire bytes: the log plugin filters on it (`class`) and prints it ({/log/type}).

import { HEADER, layout, rcodeOf, rrType, u16, u32, type Layout } from '../../src/wire/message.ts'

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
const TYPE_NS = 2
const TYPE_SOA = 6
const TYPE_RRSIG = 46
const TYPE_IXFR = 251
const TYPE_AXFR = 252
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
    if (rrType(wire, l, i) === TYPE_RRSIG && !sigValid(wire, l.ttls[i]! + 6, now)) return true
  }
  return false
}

/** response.Typify of a reply; `now` is the time in Unix seconds (expired signatures). */
export function typify(wire: Uint8Array | undefined, now: number): ResponseType {
  if (wire === undefined || wire.length < HEADER) return 'OTHERERROR'
  const opcode = (u16(wire, 2) >>> 11) & 0xf
  if (opcode === OPCODE_UPDATE) return 'UPDATE'
  if (opcode === OPCODE_NOTIFY) return 'META'
  let l: Layout
  try {
    l = layout(wire)
  } catch {
    return 'OTHERERROR'
  }
  if (u16(wire, 4) > 0) {
    const qtype = u16(wire, l.questionEnd - 4)
    if (qtype === TYPE_AXFR || qtype === TYPE_IXFR) return 'META'
  }
  const optDo = l.opt >= 0 && (u32(wire, l.ttls[l.opt]!) & DNSSEC_OK) !== 0
  if (optDo && anySigExpired(wire, l, now)) return 'OTHERERROR'
  const rcode = fullRcode(wire, l)
  if (l.an > 0 && rcode === 0) return 'NOERROR'
  let soa = false
  let ns = 0
  for (let i = l.an; i < l.an + l.ns; i++) {
    const t = rrType(wire, l, i)
    if (t === TYPE_SOA) soa = true
    else if (t === TYPE_NS) ns++
  }
  if (soa && rcode === 0) return 'NODATA'
  if (soa && rcode === 3) return 'NXDOMAIN'
  if (rcode === 2 || rcode === 4) return 'SERVERERROR'
  if (ns > 0 && rcode === 0) return 'DELEGATION'
  if (rcode === 0) return 'NOERROR'
  return 'OTHERERROR'
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
