// RDATA in zone-file presentation format (RFC 1035 §5 and each type's RFC) to wire bytes, driven
// by one table of field layouts per type rather than code per type. Types without a layout are
// read only in RFC 3597's generic form (`\# LENGTH HEX`). Names are made absolute with the
// current $ORIGIN; the names CoreDNS lowercases when it loads a zone (CNAME, NS, MX, SOA) are
// lowercased here too, so answers read the same.

import { Type, typeCode, typeName } from '../../src/plugin/rrtype.ts'
import { ipv4Bytes, ipv6Bytes } from '../../src/dns/ip.ts'
import { nameWire, unescape } from '../../src/dns/rr.ts'
import { absoluteName, badName, type Word, ZoneSyntaxError } from './lexer.ts'

/**
 * One field of a layout. `lname` is a name lowercased as CoreDNS stores it; `period` a 32-bit
 * count of seconds that may use BIND units (1h30m); `strs`, `hex`, `b64` and `types` take the
 * rest of the words; `text` is one string without a length byte (CAA value, URI target).
 */
type Field =
  | 'a'
  | 'aaaa'
  | 'name'
  | 'lname'
  | 'u8'
  | 'u16'
  | 'u32'
  | 'period'
  | 'time'
  | 'type'
  | 'str'
  | 'strs'
  | 'text'
  | 'tag'
  | 'hex'
  | 'b64'
  | 'types'

const DS: readonly Field[] = ['u16', 'u8', 'u8', 'hex']
const DNSKEY: readonly Field[] = ['u16', 'u8', 'u8', 'b64']

/** Field layouts by type code. */
const LAYOUTS: ReadonlyMap<number, readonly Field[]> = new Map<number, readonly Field[]>([
  [Type.A, ['a']],
  [Type.NS, ['lname']],
  [Type.CNAME, ['lname']],
  [Type.SOA, ['lname', 'lname', 'u32', 'period', 'period', 'period', 'period']],
  [Type.PTR, ['name']],
  [Type.HINFO, ['str', 'str']],
  [Type.MX, ['u16', 'lname']],
  [Type.TXT, ['strs']],
  [Type.RP, ['name', 'name']],
  [Type.AAAA, ['aaaa']],
  [Type.SRV, ['u16', 'u16', 'u16', 'name']],
  [Type.NAPTR, ['u16', 'u16', 'str', 'str', 'str', 'name']],
  [Type.DNAME, ['name']],
  [Type.DS, DS],
  [Type.SSHFP, ['u8', 'u8', 'hex']],
  [Type.RRSIG, ['type', 'u8', 'u8', 'u32', 'time', 'time', 'u16', 'name', 'b64']],
  [Type.NSEC, ['name', 'types']],
  [Type.DNSKEY, DNSKEY],
  [Type.TLSA, ['u8', 'u8', 'u8', 'hex']],
  [Type.SMIMEA, ['u8', 'u8', 'u8', 'hex']],
  [Type.CDS, DS],
  [Type.CDNSKEY, DNSKEY],
  [Type.SPF, ['strs']],
  [Type.URI, ['u16', 'u16', 'text']],
  [Type.CAA, ['u8', 'tag', 'text']],
])

/** The words after the type, as wire rdata; `origin` completes relative names. */
export function parseRdata(
  type: number,
  words: readonly Word[],
  origin: string,
  at: Word,
): Uint8Array {
  const what = typeName(type)
  const first = words[0]
  if (first !== undefined && first.text === '\\#' && !first.quoted) return generic(words, what)
  const layout = LAYOUTS.get(type)
  if (layout === undefined) {
    throw new ZoneSyntaxError(
      at,
      `${what} rdata is read only in RFC 3597 form by tsdns: ${what} \\# LENGTH HEX`,
    )
  }
  const parts: Uint8Array[] = []
  let i = 0
  for (const field of layout) {
    const rest = REST.has(field)
    const w = words[i]
    if (w === undefined && !(rest && field === 'strs' && i > 0)) {
      throw new ZoneSyntaxError(words.at(-1) ?? at, `${what} record: missing ${FIELD_NAMES[field]}`)
    }
    if (rest) {
      parts.push(restField(field, words.slice(i), what))
      i = words.length
    } else {
      parts.push(oneField(field, w!, origin) ?? throwBad(w!, field, what))
      i++
    }
  }
  if (i < words.length) {
    throw new ZoneSyntaxError(words[i]!, `${what} record: unexpected '${words[i]!.text}'`)
  }
  return concat(parts)
}

const REST: ReadonlySet<Field> = new Set<Field>(['strs', 'hex', 'b64', 'types'])

const FIELD_NAMES: Readonly<Record<Field, string>> = {
  a: 'an IPv4 address',
  aaaa: 'an IPv6 address',
  name: 'a domain name',
  lname: 'a domain name',
  u8: 'a number (0-255)',
  u16: 'a number (0-65535)',
  u32: 'a number (0-4294967295)',
  period: 'a time value (seconds, or e.g. 1h30m)',
  time: 'a time (YYYYMMDDHHmmSS)',
  type: 'a record type',
  str: 'a character string',
  strs: 'a character string',
  text: 'a string',
  tag: 'a tag (letters and digits)',
  hex: 'hexadecimal data',
  b64: 'base64 data',
  types: 'record types',
}

function bad(w: Word, field: Field, what: string): ZoneSyntaxError {
  return new ZoneSyntaxError(w, `${what} record: bad '${w.text}', expecting ${FIELD_NAMES[field]}`)
}

function throwBad(w: Word, field: Field, what: string): never {
  throw bad(w, field, what)
}

/** One word as the field's bytes; undefined when the word is not such a value. */
function oneField(field: Field, w: Word, origin: string): Uint8Array | undefined {
  if (w.quoted && field !== 'str' && field !== 'text') return undefined
  switch (field) {
    case 'a':
      return ipv4Bytes(w.text)
    case 'aaaa':
      return ipv6Bytes(w.text)
    case 'name':
    case 'lname':
      return nameOf(w, origin, field === 'lname')
    case 'u8':
      return uint(w.text, 1)
    case 'u16':
      return uint(w.text, 2)
    case 'u32':
      return uint(w.text, 4)
    case 'period':
      return u32(ttlSeconds(w.text))
    case 'time':
      return u32(sigTime(w.text))
    case 'type':
      return u32(typeCode(w.text))?.subarray(2)
    case 'str': {
      const b = unescape(w.text)
      return b.length > 255 ? undefined : concat([Uint8Array.of(b.length), b])
    }
    case 'text':
      return unescape(w.text)
    case 'tag':
      if (!/^[a-zA-Z0-9]{1,255}$/.test(w.text)) return undefined
      return concat([Uint8Array.of(w.text.length), Buffer.from(w.text, 'latin1')])
  }
  return undefined
}

function restField(field: Field, words: readonly Word[], what: string): Uint8Array {
  switch (field) {
    case 'strs':
      // a long string becomes several character-strings, as miekg splits it
      return concat(words.flatMap((w) => chunks(unescape(w.text))))
    case 'hex': {
      const digits = words.map((w) => w.text).join('')
      if (!/^([0-9a-fA-F]{2})+$/.test(digits)) throw bad(words[0]!, field, what)
      return Buffer.from(digits, 'hex')
    }
    case 'b64': {
      const text = words.map((w) => w.text).join('')
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
        throw bad(words[0]!, field, what)
      }
      return Buffer.from(text, 'base64')
    }
    case 'types':
      return typeBitmap(words, what)
  }
  throw bad(words[0]!, field, what)
}

function nameOf(w: Word, origin: string, lower: boolean): Uint8Array {
  const text = absoluteName(w.text, origin)
  try {
    return nameWire(lower ? text.toLowerCase() : text)
  } catch (err) {
    throw badName(w, 'name', err)
  }
}

/** RFC 3597: `\# LENGTH HEX...` (the words include the `\#`). */
function generic(words: readonly Word[], what: string): Uint8Array {
  const len = words[1]
  if (len === undefined || !/^\d+$/.test(len.text)) {
    throw new ZoneSyntaxError(len ?? words[0]!, `${what} record: \\# needs a length, then hex data`)
  }
  const digits = words
    .slice(2)
    .map((w) => w.text)
    .join('')
  if (!/^([0-9a-fA-F]{2})*$/.test(digits) || digits.length / 2 !== Number(len.text)) {
    throw new ZoneSyntaxError(
      words[2] ?? len,
      `${what} record: \\# length ${len.text} does not match the ${digits.length / 2} hex octets`,
    )
  }
  return Buffer.from(digits, 'hex')
}

/** NSEC type bitmap (RFC 4034 §4.1.2): windows of 256 types, each with its used bytes. */
function typeBitmap(words: readonly Word[], what: string): Uint8Array {
  const windows = new Map<number, Uint8Array>()
  for (const w of words) {
    const t = typeCode(w.text)
    if (t === undefined) throw bad(w, 'types', what)
    const win = windows.get(t >> 8) ?? new Uint8Array(32)
    windows.set(t >> 8, win)
    win[(t & 0xff) >> 3]! |= 0x80 >> (t & 7)
  }
  const parts: Uint8Array[] = []
  for (const n of [...windows.keys()].sort((a, b) => a - b)) {
    const win = windows.get(n)!
    let len = 32
    while (len > 0 && win[len - 1] === 0) len--
    parts.push(Uint8Array.of(n, len), win.subarray(0, len))
  }
  return concat(parts)
}

/** miekg stringToTTL: seconds, or numbers with s/m/h/d/w units (1h30m); undefined if neither. */
export function ttlSeconds(s: string): number | undefined {
  const lower = s.toLowerCase()
  if (/^\d+$/.test(lower)) {
    const n = Number(lower)
    return n <= 0xffffffff ? n : undefined
  }
  if (!/^(\d+[smhdw])+$/.test(lower)) return undefined
  let total = 0
  for (const [, n, unit] of lower.matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNITS[unit!]!
  return total <= 0xffffffff ? total : undefined
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** RRSIG times: YYYYMMDDHHmmSS (UTC, taken modulo 2^32 as RFC 4034 §3.1.5 says) or seconds. */
function sigTime(s: string): number | undefined {
  if (/^\d{1,10}$/.test(s) && s.length < 14) {
    const n = Number(s)
    return n <= 0xffffffff ? n : undefined
  }
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, sec] = m.map(Number) as [number, ...number[]]
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, sec!)
  return Number.isNaN(ms) ? undefined : (ms / 1000) % 2 ** 32
}

function uint(text: string, size: 1 | 2 | 4): Uint8Array | undefined {
  if (!/^\d+$/.test(text)) return undefined
  const n = Number(text)
  if (n >= 2 ** (8 * size)) return undefined
  const out = new Uint8Array(size)
  for (let i = size - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256
  return out
}

function u32(n: number | undefined): Uint8Array | undefined {
  return n === undefined ? undefined : uint(String(n), 4)
}

/** Length-prefixed character-strings of at most 255 octets each (one, possibly empty). */
function chunks(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i === 0 || i < b.length; i += 255) {
    const part = b.subarray(i, i + 255)
    out.push(Uint8Array.of(part.length), part)
  }
  return out
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
