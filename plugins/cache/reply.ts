// What the cache reads from a reply's bytes, without decoding it: its response type (the shared
// Typify plus the cache's own rules), the TTL to keep it for (dnsutil.MinimalTTL) and whether its
// answer section resolves the question (for serve_stale_policy prefer_positive).

import { hasSoa, typifyLayout, type ResponseType } from '../../src/dns/response.ts'
import { Type } from '../../src/plugin/rrtype.ts'
import { type Layout, rrType, u32 } from '../../src/wire/message.ts'
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
      if (t === qtype || qtype === Type.ANY) return true
      if (t === Type.CNAME) next = lowerName(readName(buf, l.ttls[i]! + 6))
    }
    if (next === undefined) return false
    target = next
  }
  return false
}
