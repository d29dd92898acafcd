// What the cache reads from a reply's bytes, without decoding it: its response type (the shared
// Typify plus the cache's own rules), the TTL to keep it for (dnsutil.MinimalTTL) and whether its
// answer section resolves the question (for serve_stale_policy prefer_positive).

import { hasSoa, typifyLayout, type ResponseType } from '../../src/dns/response.ts'
import { Class, Type } from '../../src/plugin/rrtype.ts'
import { type Layout, rrType, u16, u32 } from '../../src/wire/message.ts'
import { lowerName, readName } from '../../src/wire/name.ts'

/** dnsutil.MinimalDefaultTTL and MaximumDefaultTTL, in seconds. */
export const MIN_TTL = 5
export const MAX_TTL = 3600

/**
 * The response type as the cache keeps it; OTHERERROR is never cached. As CoreDNS's key(), an
 * NXDOMAIN without an SOA has no negative TTL and is not cached; unlike CoreDNS, neither is a
 * NOERROR with nothing in it (RFC 2308 §5: no SOA, no negative caching; CoreDNS keeps it 5 s).
 */
export function cacheType(buf: Uint8Array, l: Layout, nowSec: number, dnssec = false): ResponseType {
  const t = typifyLayout(buf, l, nowSec, dnssec)
  if (t === 'NXDOMAIN' && !hasSoa(buf, l)) return 'OTHERERROR'
  if (t === 'NOERROR' && l.an === 0) return 'OTHERERROR'
  return t
}

export function isDenial(t: ResponseType): boolean {
  return t === 'NXDOMAIN' || t === 'NODATA' || t === 'SERVERERROR'
}

/** Types cached at all (response.OtherError, Meta and Update are not). */
export function isCacheable(t: ResponseType): boolean {
  return t !== 'OTHERERROR' && t !== 'META' && t !== 'UPDATE'
}

/**
 * The smallest TTL in the message in seconds, capped at 3600, 5 when there is nothing to read.
 * A negative answer too takes its records' TTLs and ignores the SOA MINIMUM field, as CoreDNS
 * 1.14.7 does (RFC 2308 §5 takes the smaller of the two): an SOA with TTL 3600 and MINIMUM 300
 * keeps an NXDOMAIN for the denial cap, 1800 s by default, in both.
 */
export function minimalTtl(buf: Uint8Array, l: Layout, t: ResponseType): number {
  if (t !== 'NOERROR' && t !== 'NXDOMAIN' && t !== 'NODATA') return MIN_TTL
  if (l.an + l.ns === 0 && (l.ar === 0 || (l.ar === 1 && l.opt >= 0))) return MIN_TTL
  let min = MAX_TTL
  for (let i = 0; i < l.ttls.length; i++) {
    if (i === l.opt) continue
    const ttl = u32(buf, l.ttls[i]!)
    if (ttl < min) min = ttl
  }
  return min
}

/**
 * CoreDNS 1.14.7 answersQuestion: whether a NOERROR reply's answer section answers its question
 * (`qname` a lowercased FQDN). For ANY, a record of the class at the name; for CNAME, one CNAME
 * target of the name; otherwise a record of `qtype` at the end of the name's CNAME chain. A chain
 * with two targets for one owner, or a loop, answers nothing. A positive reply that does not
 * answer is NODATA to the cache (cache.ts examine), and prefer_positive keeps only one that does.
 */
export function answersQuestion(
  buf: Uint8Array, l: Layout, qname: string, qtype: number, qclass: number,
): boolean {
  if (qtype === Type.ANY) {
    for (let i = 0; i < l.an; i++) if (inClass(buf, l, i, qclass) && owner(buf, l, i) === qname) return true
    return false
  }
  let name = qname
  // each hop takes a distinct CNAME owner: more hops than records is a loop
  for (let hop = 0; ; hop++) {
    const target = cnameTarget(buf, l, name, qclass)
    if (target === undefined || hop > l.an) return false
    if (qtype === Type.CNAME) return target !== ''
    if (target === '') break
    name = target
  }
  for (let i = 0; i < l.an; i++) {
    if (rrType(buf, l, i) === qtype && inClass(buf, l, i, qclass) && owner(buf, l, i) === name) return true
  }
  return false
}

/** The CNAME target of `name` in the answer section: '' when it has none, undefined for two. */
function cnameTarget(buf: Uint8Array, l: Layout, name: string, qclass: number): string | undefined {
  let target = ''
  for (let i = 0; i < l.an; i++) {
    if (rrType(buf, l, i) !== Type.CNAME || !inClass(buf, l, i, qclass) || owner(buf, l, i) !== name) continue
    const t = lowerName(readName(buf, l.ttls[i]! + 6))
    if (target !== '' && t !== target) return undefined
    target = t
  }
  return target
}

function owner(buf: Uint8Array, l: Layout, i: number): string {
  return lowerName(readName(buf, l.starts[i]!))
}

/** The record's class is the question's, or the question asks for any class. */
function inClass(buf: Uint8Array, l: Layout, i: number, qclass: number): boolean {
  return qclass === Class.ANY || u16(buf, l.ttls[i]! - 2) === qclass
}
