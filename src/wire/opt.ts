// EDNS options in an OPT RR (RFC 6891 §6.1.2), read and written as bytes: nsid puts its option
// in replies, rewrite edits the options of requests.

import { HEADER, type Layout, layout, rrType, setU16, setU32, u16, u32 } from './message.ts'
import { skipName } from './name.ts'
import { Type } from '../plugin/rrtype.ts'

export const OPTION_NSID = 3
export const OPTION_SUBNET = 8

/**
 * The request's options a reply without an OPT of its own carries back (CoreDNS SizeAndDo reuses
 * the request's OPT, keeping NSID, EXPIRE, COOKIE, TCP keepalive and padding): dig's client
 * cookie comes back "echoed". A view into the request's bytes when nothing is dropped.
 */
export function echoedOptions(wire: Uint8Array, optOffset: number): Uint8Array {
  const rdlenAt = skipName(wire, optOffset) + 8
  const start = rdlenAt + 2
  const end = Math.min(start + u16(wire, rdlenAt), wire.length)
  // the usual case (dig: one cookie) allocates nothing but the view
  let o = start
  while (o + 4 <= end && isEchoedOption(u16(wire, o)) && o + 4 + u16(wire, o + 2) <= end) {
    o += 4 + u16(wire, o + 2)
  }
  if (o === end) return wire.subarray(start, end)
  const kept: number[] = []
  for (o = start; o + 4 <= end; ) {
    const next = o + 4 + u16(wire, o + 2)
    if (next > end) break // a malformed last option is dropped
    if (isEchoedOption(u16(wire, o))) for (let i = o; i < next; i++) kept.push(wire[i]!)
    o = next
  }
  return Uint8Array.from(kept)
}

export function isEchoedOption(code: number): boolean {
  return code === OPTION_NSID || (code >= 9 && code <= 12) // EXPIRE, COOKIE, keepalive, padding
}

export interface EdnsOption {
  readonly code: number
  readonly data: Uint8Array
}

/** An OPT RR's UDP size (its class) and TTL word (extended rcode, version, flags). */
export interface OptHeader {
  readonly udpSize: number
  readonly ttl: number
}

/** The options of the OPT RR whose TTL field is at `ttlOff` (malformed trailing bytes dropped). */
export function readOptions(wire: Uint8Array, ttlOff: number): EdnsOption[] {
  const end = ttlOff + 6 + u16(wire, ttlOff + 4)
  const out: EdnsOption[] = []
  for (let o = ttlOff + 6; o + 4 <= end; ) {
    const len = u16(wire, o + 2)
    if (o + 4 + len > end) break
    out.push({ code: u16(wire, o), data: wire.slice(o + 4, o + 4 + len) })
    o += 4 + len
  }
  return out
}

/** Whether the OPT RR whose TTL field is at `ttlOff` carries option `code` (no allocation). */
export function hasOption(wire: Uint8Array, ttlOff: number, code: number): boolean {
  const end = ttlOff + 6 + u16(wire, ttlOff + 4)
  for (let o = ttlOff + 6; o + 4 <= end; o += 4 + u16(wire, o + 2)) {
    if (u16(wire, o) === code) return true
  }
  return false
}

export function readOptHeader(wire: Uint8Array, ttlOff: number): OptHeader {
  return { udpSize: u16(wire, ttlOff - 2), ttl: u32(wire, ttlOff) }
}

/** A whole OPT RR: root owner, type OPT, then the header fields and options. */
export function encodeOpt(h: OptHeader, options: readonly EdnsOption[]): Uint8Array {
  let rdlen = 0
  for (const o of options) rdlen += 4 + o.data.length
  const out = new Uint8Array(11 + rdlen)
  setU16(out, 1, Type.OPT)
  setU16(out, 3, h.udpSize)
  setU32(out, 5, h.ttl)
  setU16(out, 9, rdlen)
  let p = 11
  for (const o of options) {
    setU16(out, p, o.code)
    setU16(out, p + 2, o.data.length)
    out.set(o.data, p + 4)
    p += 4 + o.data.length
  }
  return out
}

/**
 * `msg` (walked as `l`) with its OPT RR dropped and `opt` appended as the last additional RR,
 * the way the server's scrub moves the OPT: compression pointers only point backwards.
 */
export function withOpt(msg: Uint8Array, l: Layout, opt: Uint8Array): Uint8Array {
  const end = l.starts[l.starts.length - 1]!
  let keep = end - HEADER
  let optStart = end
  let optEnd = end
  if (l.opt >= 0) {
    optStart = l.starts[l.opt]!
    optEnd = l.starts[l.opt + 1]!
    keep -= optEnd - optStart
  }
  const out = new Uint8Array(HEADER + keep + opt.length)
  out.set(msg.subarray(0, optStart))
  out.set(msg.subarray(optEnd, end), optStart)
  out.set(opt, HEADER + keep)
  if (l.opt < 0) setU16(out, 10, u16(msg, 10) + 1)
  return out
}

/**
 * The index of the first of the OPT records that end `msg`'s additional section (l.starts.length
 * - 1 when there are none), or -1 when an OPT sits anywhere else: cutting one out of the middle
 * would move names that later compression pointers target.
 */
export function trailingOpts(msg: Uint8Array, l: Layout): number {
  const records = l.starts.length - 1
  const additional = l.an + l.ns
  let first = records
  while (first > additional && rrType(msg, l, first - 1) === Type.OPT) first--
  for (let i = additional; i < first; i++) if (rrType(msg, l, i) === Type.OPT) return -1
  return first
}

/**
 * `msg` without the OPT records that end it, as CoreDNS's cache passes a reply on (its writer
 * keeps no OPT; the server's scrub then gives the client its own EDNS back, not the upstream's
 * options). Unchanged when it has none, when one sits elsewhere, or when one carries extended
 * rcode bits (the mirrored OPT would lose them). A view of `msg`, its ARCOUNT patched in place.
 */
export function withoutOpt(msg: Uint8Array): Uint8Array {
  if (msg.length < HEADER || u16(msg, 10) === 0) return msg
  let l: Layout
  try {
    l = layout(msg)
  } catch {
    return msg
  }
  const first = trailingOpts(msg, l)
  const records = l.starts.length - 1
  if (first < 0 || first === records) return msg
  for (let i = first; i < records; i++) if (msg[l.ttls[i]!] !== 0) return msg
  setU16(msg, 10, l.ar - (records - first))
  return msg.subarray(0, l.starts[first]!)
}
