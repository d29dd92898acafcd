// Messages taken apart into records whose names are read (compression pointers followed) and put
// back together with name compression. Response rewrites change owner names and the names inside
// CNAME, NS, PTR, MX, SRV, SOA... rdata, so the bytes around them move.

import { HEADER, setU16, setU32, u16, u32 } from '../../src/wire/message.ts'
import { lowerName, readName, skipName, WireError } from '../../src/wire/name.ts'
import { Type } from '../../src/plugin/rrtype.ts'

/** Fixed bytes, a domain name, or NAPTR's three character-strings. */
type Field = number | 'name' | 'strings'

interface Shape {
  readonly fields: readonly Field[]
  /** The field CoreDNS rewrites as the record's value (`answer value`), or -1. */
  readonly value: number
  /** RFC 3597 §4: only the RFC 1035 types may have their rdata names compressed. */
  readonly compress: boolean
}

const nameOnly = (value: number, compress: boolean): Shape => ({
  fields: ['name'],
  value,
  compress,
})

/** Types whose rdata holds names; any other rdata is copied as it is. */
const SHAPES: ReadonlyMap<number, Shape> = new Map([
  [Type.NS, nameOnly(0, true)],
  [Type.MD, nameOnly(-1, true)],
  [Type.MF, nameOnly(-1, true)],
  [Type.CNAME, nameOnly(0, true)],
  [Type.MB, nameOnly(-1, true)],
  [Type.MG, nameOnly(-1, true)],
  [Type.MR, nameOnly(-1, true)],
  [Type.PTR, nameOnly(0, true)],
  [Type.DNAME, nameOnly(0, false)],
  [Type.SOA, { fields: ['name', 'name', 20], value: 0, compress: true }],
  [Type.MINFO, { fields: ['name', 'name'], value: -1, compress: true }],
  [Type.MX, { fields: [2, 'name'], value: 1, compress: true }],
  [Type.RP, { fields: ['name', 'name'], value: -1, compress: false }],
  [Type.AFSDB, { fields: [2, 'name'], value: -1, compress: false }],
  [Type.RT, { fields: [2, 'name'], value: -1, compress: false }],
  [Type.PX, { fields: [2, 'name', 'name'], value: -1, compress: false }],
  [Type.SRV, { fields: [6, 'name'], value: 1, compress: false }],
  [Type.NAPTR, { fields: [4, 'strings', 'name'], value: 2, compress: false }],
  [Type.KX, { fields: [2, 'name'], value: -1, compress: false }],
])

export interface WireRecord {
  /** Presentation format, as readName gives it. */
  name: string
  readonly type: number
  readonly klass: number
  ttl: number
  readonly rdata: Rdata
}

/** The rdata by field: names as strings, everything else as bytes. */
type Rdata = Array<Uint8Array | string>

export interface WireReply {
  /** The 12 header bytes (a copy: flags may be changed). */
  readonly header: Uint8Array
  /** The length of the message it was read from. */
  readonly size: number
  answer: WireRecord[]
  authority: WireRecord[]
  additional: WireRecord[]
}

/** The name a record's value rewrite applies to, or undefined. */
export function recordValue(rr: WireRecord): string | undefined {
  const shape = SHAPES.get(rr.type)
  const v = shape !== undefined && shape.value >= 0 ? rr.rdata[shape.value] : undefined
  return typeof v === 'string' ? v : undefined
}

export function setRecordValue(rr: WireRecord, value: string): void {
  rr.rdata[SHAPES.get(rr.type)!.value] = value
}

function readRdata(wire: Uint8Array, type: number, start: number, end: number): Rdata {
  const shape = SHAPES.get(type)
  if (shape === undefined || start === end) return [wire.slice(start, end)]
  const out: Rdata = []
  let o = start
  for (const f of shape.fields) {
    if (f === 'name') {
      out.push(readName(wire, o))
      o = skipName(wire, o)
    } else {
      let e = o + (f === 'strings' ? 0 : f)
      if (f === 'strings') for (let i = 0; i < 3 && e < end; i++) e += 1 + wire[e]!
      out.push(wire.slice(o, e))
      o = e
    }
    if (o > end) throw new WireError('rdata overflows its length')
  }
  if (o !== end) throw new WireError(`rdata of type ${type} does not match its length`)
  return out
}

function readRecords(wire: Uint8Array, off: number, n: number, into: WireRecord[]): number {
  for (let i = 0; i < n; i++) {
    const name = readName(wire, off)
    off = skipName(wire, off)
    if (off + 10 > wire.length) throw new WireError('record header overflows message')
    const type = u16(wire, off)
    const end = off + 10 + u16(wire, off + 8)
    if (end > wire.length) throw new WireError('rdata overflows message')
    const rdata =
      type === Type.OPT ? [wire.slice(off + 10, end)] : readRdata(wire, type, off + 10, end)
    into.push({ name, type, klass: u16(wire, off + 2), ttl: u32(wire, off + 4), rdata })
    off = end
  }
  return off
}

/** Every record of a reply, names read; throws WireError on a malformed message. */
export function decodeReply(wire: Uint8Array): WireReply {
  if (wire.length < HEADER) throw new WireError('short header')
  let off = HEADER
  for (let i = u16(wire, 4); i > 0; i--) off = skipName(wire, off) + 4
  const header = wire.slice(0, HEADER)
  const reply: WireReply = { header, size: wire.length, answer: [], authority: [], additional: [] }
  off = readRecords(wire, off, u16(wire, 6), reply.answer)
  off = readRecords(wire, off, u16(wire, 8), reply.authority)
  readRecords(wire, off, u16(wire, 10), reply.additional)
  return reply
}

/** Where parseName() leaves a name's wire form (one name at a time: all callers are sync). */
const scratch = new Uint8Array(256)

/** A presentation-format name read into `scratch`, with where each label starts. */
interface ParsedName {
  /** Octets of the uncompressed wire form in `scratch`: labels, then the root's 0. */
  readonly length: number
  /** Offset in the wire form of each label's length octet. */
  readonly offsets: number[]
  /** The name with non-ASCII text spelled one char per UTF-8 byte. */
  readonly text: string
  /** Index in `text` where each label starts. */
  readonly starts: number[]
}

/**
 * A presentation-format name (`\DDD` and `\X` escapes undone) in wire form, in `scratch`; or
 * undefined when it is not a valid domain name: an empty label, a label over 63 octets, a name
 * over 255.
 */
function parseName(name: string): ParsedName | undefined {
  // Non-ASCII text (a Corefile argument) is UTF-8 on the wire, one char per byte from here on.
  const text = /[^\x00-\x7f]/.test(name) ? Buffer.from(name, 'utf8').toString('latin1') : name
  const offsets: number[] = []
  const starts: number[] = []
  let label = 0 // offset of the current label's length octet
  let n = 1 // where its next octet goes
  let start = 0
  const end = (next: number): boolean => {
    const len = n - label - 1
    if (len === 0 || len > 63) return false
    scratch[label] = len
    offsets.push(label)
    starts.push(start)
    label = n++
    start = next
    return true
  }
  if (text !== '.') {
    for (let i = 0; i < text.length; i++) {
      if (n >= scratch.length) return undefined
      const c = text.charCodeAt(i)
      if (c === 0x2e) {
        if (!end(i + 1)) return undefined
      } else if (c === 0x5c) {
        const ddd = /^\d{3}/.exec(text.slice(i + 1, i + 4))
        if (ddd !== null) {
          if (Number(ddd[0]) > 255) return undefined
          scratch[n++] = Number(ddd[0])
          i += 3
        } else if (i + 1 < text.length) {
          scratch[n++] = text.charCodeAt(++i)
        } else return undefined
      } else scratch[n++] = c
    }
    if (n > label + 1 && !end(text.length)) return undefined
  }
  if (n > 255) return undefined
  scratch[label] = 0 // the root
  return { length: n, offsets, text, starts }
}

/** The uncompressed wire form of a presentation-format name, or undefined when it is invalid. */
export function wireName(name: string): Uint8Array | undefined {
  const parsed = parseName(name)
  return parsed === undefined ? undefined : scratch.slice(0, parsed.length)
}

/** An invalid name in a record that a rewrite produced: the reply cannot be built. */
class NameError extends Error {
  override name = 'NameError'
}

/** Builds a message, compressing names against the ones already written (RFC 1035 §4.1.4). */
class MessageWriter {
  #buf: Uint8Array
  #len = 0
  readonly #names = new Map<string, number>()

  /** `size`: what the message will probably take (it grows as needed). */
  constructor(size: number) {
    this.#buf = new Uint8Array(size)
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n))
    grown.set(this.#buf.subarray(0, this.#len))
    this.#buf = grown
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length)
    this.#buf.set(b, this.#len)
    this.#len += b.length
  }

  u16(v: number): void {
    this.#room(2)
    setU16(this.#buf, this.#len, v)
    this.#len += 2
  }

  u32(v: number): void {
    this.#room(4)
    setU32(this.#buf, this.#len, v)
    this.#len += 4
  }

  /** Writes `name`, ending in a pointer to an earlier copy of a suffix when `compress`. */
  name(name: string, compress: boolean): void {
    const parsed = parseName(name)
    if (parsed === undefined) throw new NameError(`invalid name after rewrite: ${name}`)
    const { length, offsets, text, starts } = parsed
    this.#room(length)
    const buf = this.#buf
    // A suffix is known by its text: the same text is the same name (the converse may miss).
    const lower = lowerName(text)
    for (let i = 0; i < offsets.length; i++) {
      const key = lower.slice(starts[i])
      const at = this.#names.get(key)
      if (compress && at !== undefined) return this.u16(0xc000 | at)
      if (this.#len < 0x4000 && at === undefined) this.#names.set(key, this.#len)
      for (let k = offsets[i]!, e = k + 1 + scratch[k]!; k < e; k++) buf[this.#len++] = scratch[k]!
    }
    buf[this.#len++] = 0
  }

  record(rr: WireRecord): void {
    this.name(rr.name, true)
    this.u16(rr.type)
    this.u16(rr.klass)
    this.u32(rr.ttl)
    const lenAt = this.#len
    this.u16(0)
    const compress = SHAPES.get(rr.type)?.compress ?? false
    for (const part of rr.rdata) {
      if (typeof part === 'string') this.name(part, compress)
      else this.bytes(part)
    }
    setU16(this.#buf, lenAt, this.#len - lenAt - 2)
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len)
  }
}

/** The reply with this question and its (possibly rewritten) records; throws NameError. */
export function encodeReply(
  reply: WireReply,
  qname: string,
  qtype: number,
  qclass: number,
): Uint8Array {
  // Names usually keep their length: room for the old size and a few longer names.
  const w = new MessageWriter(reply.size + 128)
  const h = reply.header
  setU16(h, 4, 1)
  setU16(h, 6, reply.answer.length)
  setU16(h, 8, reply.authority.length)
  setU16(h, 10, reply.additional.length)
  w.bytes(h)
  w.name(qname, true)
  w.u16(qtype)
  w.u16(qclass)
  for (const rr of reply.answer) w.record(rr)
  for (const rr of reply.authority) w.record(rr)
  for (const rr of reply.additional) w.record(rr)
  return w.finish()
}
