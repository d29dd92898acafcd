// One resource record in zone-file text (RFC 1035 §5.1), as miekg/dns's NewRR reads it, turned
// into wire bytes: `owner [TTL] [CLASS] TYPE RDATA` (TTL and class in either order, TTL with
// BIND units such as 1h30m, default TTL 3600 and class IN; relative names are made absolute;
// parentheses, ';' comments, quoted strings and \X / \DDD escapes as in zone files).
// Types with rdata parsers: A AAAA CNAME DNAME NS PTR MX SRV SOA TXT SPF CAA, and any type in
// RFC 3597's generic form (`TYPE65280 \# 2 abcd`). Only the first record of the text is read.

import { Class, classCode, Type, typeCode, typeName } from '../plugin/rrtype.ts'
import { ipv4Bytes, ipv6Bytes } from './ip.ts'

export class RrError extends Error {
  override name = 'RrError'
}

export interface Rr {
  /** The owner as written, made absolute. */
  readonly name: string
  /** The owner in wire format. */
  readonly owner: Uint8Array
  readonly type: number
  readonly class: number
  readonly ttl: number
  readonly rdata: Uint8Array
  /** For a CNAME, its target (absolute, presentation format). */
  readonly target?: string
}

const DEFAULT_TTL = 3600

interface Word {
  readonly text: string
  readonly quoted: boolean
}

/** Parses the first record in `text`; throws RrError saying what is wrong, as NewRR would. */
export function parseRr(text: string): Rr {
  const words = tokenize(text)
  const owner = words.shift()
  if (owner === undefined) throw new RrError('dns: no record in text')
  if (owner.quoted) throw new RrError(`dns: bad owner name: "${owner.text}"`)
  const name = absolute(owner.text)
  let ttl: number | undefined
  let klass: number | undefined
  let typeWord: Word | undefined
  for (let w = words.shift(); w !== undefined; w = words.shift()) {
    const c = klass === undefined ? classCode(w.text) : undefined
    const t = ttl === undefined && c === undefined ? duration(w.text) : undefined
    if (c !== undefined) klass = c
    else if (t !== undefined) ttl = t
    else {
      typeWord = w
      break
    }
  }
  const type = typeWord === undefined ? undefined : typeCode(typeWord.text)
  if (typeWord === undefined || type === undefined || typeWord.quoted) {
    throw new RrError(`dns: unknown RR type: "${typeWord?.text ?? ''}"`)
  }
  const rdata = parseRdata(type, words)
  return {
    name,
    owner: nameWire(name),
    type,
    class: klass ?? Class.IN,
    ttl: ttl ?? DEFAULT_TTL,
    rdata,
    ...(type === Type.CNAME ? { target: absolute(words[0]!.text) } : {}),
  }
}

/** The record as it goes in a message; `pointer` replaces the owner (a compression pointer). */
export function rrWire(rr: Rr, pointer?: Uint8Array): Uint8Array {
  const owner = pointer ?? rr.owner
  const out = new Uint8Array(owner.length + 10 + rr.rdata.length)
  out.set(owner)
  const v = new DataView(out.buffer)
  let o = owner.length
  v.setUint16(o, rr.type)
  v.setUint16(o + 2, rr.class)
  v.setUint32(o + 4, rr.ttl)
  v.setUint16(o + 8, rr.rdata.length)
  out.set(rr.rdata, o + 10)
  return out
}

/** Zone-file words of the first record: comments dropped, parentheses let it span lines. */
function tokenize(text: string): Word[] {
  const words: Word[] = []
  let depth = 0
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '\n' && depth === 0 && words.length > 0) break
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++
    else if (c === ';') while (i < text.length && text[i] !== '\n') i++
    else if (c === '(') {
      depth++
      i++
    } else if (c === ')') {
      if (--depth < 0) throw new RrError('dns: extra closing brace')
      i++
    } else if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      if (j >= text.length) throw new RrError('dns: unbalanced quotes')
      words.push({ text: text.slice(i + 1, j), quoted: true })
      i = j + 1
    } else {
      let j = i
      while (j < text.length && !' \t\r\n;()"'.includes(text[j]!)) j += text[j] === '\\' ? 2 : 1
      words.push({ text: text.slice(i, j), quoted: false })
      i = j
    }
  }
  if (depth > 0) throw new RrError('dns: unbalanced brace')
  return words
}

/** miekg stringToTTL: seconds, or numbers with s/m/h/d/w units (1h30m); undefined if neither. */
function duration(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s)
    return n <= 0xffffffff ? n : undefined
  }
  const m = s.toLowerCase().match(/\d+[smhdw]/g)
  if (m === null || m.join('') !== s.toLowerCase()) return undefined
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }
  const total = m.reduce((sum, part) => sum + Number(part.slice(0, -1)) * unit[part.at(-1)!]!, 0)
  return total <= 0xffffffff ? total : undefined
}

/** miekg/dns Fqdn with origin ".": '@' is the root, a relative name gets a trailing dot. */
function absolute(name: string): string {
  if (name === '@' || name === '.') return '.'
  const trailing = /(\\*)\.$/.exec(name)
  return trailing && trailing[1]!.length % 2 === 0 ? name : `${name}.`
}

/** Presentation-format name (absolute) to wire format, with \X and \DDD escapes. */
export function nameWire(name: string): Uint8Array {
  if (name === '.') return new Uint8Array(1)
  const bytes: number[] = []
  let label: number[] = []
  const bad = (why: string): RrError => new RrError(`dns: bad name "${name}": ${why}`)
  const src = Buffer.from(name, 'utf8')
  for (let i = 0; i < src.length; i++) {
    let c = src[i]!
    if (c === 0x2e) {
      if (label.length === 0) throw bad('empty label')
      if (label.length > 63) throw bad('label longer than 63 octets')
      bytes.push(label.length, ...label)
      label = []
      continue
    }
    if (c === 0x5c) {
      const ddd = src.subarray(i + 1, i + 4).toString('latin1')
      if (/^\d{3}$/.test(ddd)) {
        c = Number(ddd)
        if (c > 255) throw bad(`escape \\${ddd} out of range`)
        i += 3
      } else {
        if (i + 1 >= src.length) throw bad('trailing backslash')
        c = src[++i]!
      }
    }
    label.push(c)
  }
  if (label.length > 0) throw bad('not absolute')
  bytes.push(0)
  if (bytes.length > 255) throw bad('longer than 255 octets')
  return Uint8Array.from(bytes)
}

function parseRdata(type: number, words: Word[]): Uint8Array {
  const what = typeName(type)
  const bad = (w?: Word): RrError => new RrError(`dns: bad ${what} rdata: "${w?.text ?? ''}"`)
  if (words[0]?.text === '\\#' && !words[0].quoted) return generic(words.slice(1), bad)
  const want = (n: number): Word[] => {
    if (words.length < n) throw bad(words.at(-1))
    if (words.length > n) throw bad(words[n])
    return words
  }
  const name = (w: Word): Uint8Array => {
    try {
      return nameWire(absolute(w.text))
    } catch (err) {
      throw new RrError(`dns: bad ${what} rdata: ${(err as Error).message}`)
    }
  }
  const u16 = (w: Word): Uint8Array => uint(w, 2, bad)
  switch (type) {
    case Type.A:
    case Type.AAAA: {
      const w = want(1)[0]!
      const ip = type === Type.A ? ipv4Bytes(w.text) : ipv6Bytes(w.text)
      if (ip === undefined) throw bad(w)
      return ip
    }
    case Type.CNAME:
    case Type.DNAME:
    case Type.NS:
    case Type.PTR:
      return name(want(1)[0]!)
    case Type.MX: {
      const [pref, host] = want(2)
      return concat(u16(pref!), name(host!))
    }
    case Type.SRV: {
      const [prio, weight, port, target] = want(4)
      return concat(u16(prio!), u16(weight!), u16(port!), name(target!))
    }
    case Type.SOA: {
      const [mname, rname, serial, ...times] = want(7)
      const seconds = times.map((w) => {
        const d = duration(w.text)
        if (d === undefined) throw bad(w)
        return uint({ text: String(d), quoted: false }, 4, bad)
      })
      return concat(name(mname!), name(rname!), uint(serial!, 4, bad), ...seconds)
    }
    case Type.TXT:
    case Type.SPF:
      return concat(...words.flatMap((w) => characterStrings(unescape(w.text))))
    case Type.CAA: {
      const [flags, tag, value] = want(3)
      const t = Buffer.from(tag!.text, 'utf8')
      if (t.length === 0 || t.length > 255 || !/^[a-zA-Z0-9]+$/.test(tag!.text)) throw bad(tag)
      return concat(uint(flags!, 1, bad), Uint8Array.of(t.length), t, unescape(value!.text))
    }
  }
  throw new RrError(
    `dns: ${what} records are not supported by tsdns in template answers; ` +
      `use RFC 3597 form: ${what} \\# LENGTH HEX`,
  )
}

/** RFC 3597: `\# LENGTH HEX...`. */
function generic(words: Word[], bad: (w?: Word) => RrError): Uint8Array {
  const [len, ...hex] = words
  if (len === undefined || !/^\d+$/.test(len.text)) throw bad(len)
  const digits = hex.map((w) => w.text).join('')
  if (!/^([0-9a-fA-F]{2})*$/.test(digits) || digits.length / 2 !== Number(len.text))
    throw bad(hex[0] ?? len)
  return Uint8Array.from(Buffer.from(digits, 'hex'))
}

function uint(w: Word, size: 1 | 2 | 4, bad: (w?: Word) => RrError): Uint8Array {
  if (!/^\d+$/.test(w.text)) throw bad(w)
  const n = Number(w.text)
  if (n >= 2 ** (8 * size)) throw bad(w)
  const out = new Uint8Array(size)
  for (let i = size - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256
  return out
}

/** Character-string text with \X and \DDD escapes to bytes. */
export function unescape(s: string): Uint8Array {
  const src = Buffer.from(s, 'utf8')
  const out: number[] = []
  for (let i = 0; i < src.length; i++) {
    if (src[i] !== 0x5c || i + 1 >= src.length) {
      out.push(src[i]!)
      continue
    }
    const ddd = src.subarray(i + 1, i + 4).toString('latin1')
    if (/^\d{3}$/.test(ddd) && Number(ddd) <= 255) {
      out.push(Number(ddd))
      i += 3
    } else {
      out.push(src[++i]!)
    }
  }
  return Uint8Array.from(out)
}

/** A string longer than 255 octets becomes several character-strings, as miekg splits it. */
function characterStrings(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i === 0 || i < b.length; i += 255) {
    const part = b.subarray(i, i + 255)
    out.push(concat(Uint8Array.of(part.length), part))
  }
  return out
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
