// Reading and patching whole messages as bytes: header fields, the record layout (where every RR
// starts and where its TTL sits) and the OPT record. Cache, forward and the server writer use
// this instead of a full decode (docs/architecture.md "The request path").

import { skipName, WireError } from './name.ts'
import { Type } from '../plugin/rrtype.ts'

export const HEADER = 12
/** The smallest resource record: the root name (one byte), type, class, TTL, rdata length. */
const MIN_RR = 11

export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const

export function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!
}

export function setU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8
  buf[off + 1] = v & 0xff
}

export function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) >>> 0) + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!)
}

export function setU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24
  buf[off + 1] = (v >>> 16) & 0xff
  buf[off + 2] = (v >>> 8) & 0xff
  buf[off + 3] = v & 0xff
}

export function rcodeOf(buf: Uint8Array): number {
  return buf[3]! & 0x0f
}

/** Layout of a message: offsets only, no names or rdata decoded. */
export interface Layout {
  /** Offset just past the question section. */
  readonly questionEnd: number
  readonly an: number
  readonly ns: number
  readonly ar: number
  /** Start offset of each RR (answer, authority, additional in order), plus the end of the last. */
  readonly starts: readonly number[]
  /** Offset of each RR's TTL field (same index as starts). */
  readonly ttls: readonly number[]
  /** Index (into starts) of the OPT RR, or -1. */
  readonly opt: number
}

/** Walks every section, checking lengths; throws WireError on a malformed message. */
export function layout(buf: Uint8Array): Layout {
  if (buf.length < HEADER) throw new WireError('short header')
  const qd = u16(buf, 4)
  const an = u16(buf, 6)
  const ns = u16(buf, 8)
  const ar = u16(buf, 10)
  let off = HEADER
  for (let i = 0; i < qd; i++) {
    off = skipName(buf, off) + 4
    if (off > buf.length) throw new WireError('question overflows message')
  }
  const questionEnd = off
  const total = an + ns + ar
  // The arrays are made at their final size: grown by push, each started at 17 slots (~300
  // bytes a forwarded reply). The counts are checked against the bytes first, so a header
  // claiming 65,535 records costs no more than the records it carries.
  if (total * MIN_RR > buf.length - off) throw new WireError('record header overflows message')
  const starts = new Array<number>(total + 1)
  const ttls = new Array<number>(total)
  let opt = -1
  for (let i = 0; i < total; i++) {
    starts[i] = off
    off = skipName(buf, off)
    if (off + 10 > buf.length) throw new WireError('record header overflows message')
    if (i >= an + ns && u16(buf, off) === Type.OPT) opt = i
    ttls[i] = off + 4
    off += 10 + u16(buf, off + 8)
    if (off > buf.length) throw new WireError('rdata overflows message')
  }
  starts[total] = off
  return { questionEnd, an, ns, ar, starts, ttls, opt }
}

export function rrType(buf: Uint8Array, l: Layout, i: number): number {
  return u16(buf, l.ttls[i]! - 4)
}
