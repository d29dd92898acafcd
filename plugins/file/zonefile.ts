// A master file (RFC 1035 §5) read into records, as miekg/dns's ZoneParser reads it for CoreDNS:
// $ORIGIN, $TTL and $INCLUDE (CoreDNS allows it; nested at most 7 deep, paths relative to the
// including file), `@`, relative names, an omitted owner repeating the previous one, TTL and
// class in either order and each optional. A record without a TTL takes $TTL, else the last
// TTL written, else 3600. Errors name the file, line and column.

import { dirname, isAbsolute, join } from 'node:path'
import { Class, classCode, Type, typeCode } from '../../src/plugin/rrtype.ts'
import { lowerName, readName, skipName } from '../../src/wire/name.ts'
import { u32 } from '../../src/wire/message.ts'
import type { Rr } from '../../src/dns/rr.ts'
import { nameWire } from '../../src/dns/rr.ts'
import { absoluteName, badName, entries, type Word, ZoneSyntaxError } from './lexer.ts'
import { parseRdata, ttlSeconds } from './rdata.ts'

export interface ZoneRecord extends Rr {
  /** The owner lowercased, spelled as Request.name spells names. */
  readonly name: string
  /** CNAME, DNAME, NS, MX, SRV: the name in the rdata (presentation format, case as stored). */
  readonly target?: string
}

/** Where the name sits in the rdata of the types whose targets lookups follow. */
const TARGET_OFFSET: ReadonlyMap<number, number> = new Map([
  [Type.NS, 0],
  [Type.CNAME, 0],
  [Type.DNAME, 0],
  [Type.MX, 2],
  [Type.SRV, 6],
])

/** Records of one zone (includes too): past this a runaway generator is refused, not loaded. */
const MAX_RECORDS = 500_000
/** Bytes of one zone file, and of all it includes together. */
export const MAX_ZONE_BYTES = 32 << 20
/** miekg/dns maxIncludeDepth. */
const MAX_INCLUDE_DEPTH = 7
const DEFAULT_TTL = 3600

export class ZoneFileError extends Error {
  override name = 'ZoneFileError'
  readonly file: string
  readonly line: number
  readonly col: number
  readonly detail: string
  constructor(file: string, line: number, col: number, detail: string) {
    super(`${file}:${line}:${col}: ${detail}`)
    this.file = file
    this.line = line
    this.col = col
    this.detail = detail
  }
}

/** A reload found the serial it already serves: nothing else was read (CoreDNS serialErr). */
export class UnchangedSerial extends Error {
  override name = 'UnchangedSerial'
}

export interface ParseOptions {
  /** The file's path: named in errors, and $INCLUDE paths are relative to its directory. */
  readonly file: string
  /** The zone's origin, a lowercased FQDN. */
  readonly origin: string
  /** Reads an included file within `max` bytes (throws as node:fs does). */
  readonly read: (path: string, max: number) => string
  /** Stop with UnchangedSerial when the first SOA carries this serial. */
  readonly unchangedSerial?: number
  readonly maxRecords?: number
}

interface State {
  readonly opts: ParseOptions
  readonly out: ZoneRecord[]
  bytes: number
  seenSoa: boolean
  /** $TTL, or the last TTL written when there is no $TTL (RFC 2308 §4). */
  ttl: number | undefined
  ttlByDirective: boolean
}

/** The records of `text`; throws ZoneFileError (or UnchangedSerial). */
export function parseZoneFile(text: string, opts: ParseOptions): ZoneRecord[] {
  const st: State = {
    opts,
    out: [],
    bytes: text.length,
    seenSoa: false,
    ttl: undefined,
    ttlByDirective: false,
  }
  readFile(st, text, opts.file, opts.origin, 0)
  return st.out
}

function readFile(st: State, text: string, file: string, origin: string, depth: number): void {
  let owner: string | undefined
  try {
    for (const { words, blankOwner } of entries(text)) {
      const first = words[0]!
      if (!blankOwner && !first.quoted && first.text.startsWith('$')) {
        origin = directive(st, words, file, origin, depth)
        continue
      }
      if (!blankOwner) owner = absoluteName(first.text, origin)
      else if (owner === undefined) {
        throw new ZoneSyntaxError(first, 'no owner name for this record')
      }
      record(st, blankOwner ? words : words.slice(1), owner, origin, first)
    }
  } catch (err) {
    if (err instanceof ZoneSyntaxError) {
      throw new ZoneFileError(file, err.line, err.col, err.message)
    }
    throw err
  }
}

/** $ORIGIN, $TTL, $INCLUDE; returns the origin that holds after it. */
function directive(
  st: State,
  words: readonly Word[],
  file: string,
  origin: string,
  depth: number,
): string {
  const [d, arg, arg2, extra] = words as [Word, Word?, Word?, Word?]
  const name = d.text.toUpperCase()
  const needs = (n: number): void => {
    const given = words.length - 1
    if (given < n || given > (name === '$INCLUDE' ? 2 : n) || extra !== undefined) {
      const takes = name === '$INCLUDE' ? 'a file and an optional origin' : 'one value'
      throw new ZoneSyntaxError(d, `${name} takes ${takes}`)
    }
  }
  switch (name) {
    case '$ORIGIN':
      needs(1)
      return lowerName(checkedName(arg!, origin))
    case '$TTL': {
      needs(1)
      const ttl = ttlSeconds(arg!.text)
      if (ttl === undefined) throw new ZoneSyntaxError(arg!, `bad $TTL '${arg!.text}'`)
      st.ttl = ttl
      st.ttlByDirective = true
      return origin
    }
    case '$INCLUDE': {
      needs(1)
      if (depth + 1 > MAX_INCLUDE_DEPTH) {
        throw new ZoneSyntaxError(d, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`)
      }
      const path = isAbsolute(arg!.text) ? arg!.text : join(dirname(file), arg!.text)
      let text: string
      try {
        text = st.opts.read(path, MAX_ZONE_BYTES - st.bytes)
      } catch (err) {
        throw new ZoneSyntaxError(arg!, `$INCLUDE ${path}: ${(err as Error).message}`)
      }
      st.bytes += text.length
      const inner = arg2 === undefined ? origin : lowerName(checkedName(arg2, origin))
      readFile(st, text, path, inner, depth + 1)
      return origin // an included file's $ORIGIN ends with it
    }
    case '$GENERATE':
      throw new ZoneSyntaxError(d, '$GENERATE is not supported by tsdns; write the records out')
  }
  throw new ZoneSyntaxError(d, `unknown directive '${d.text}'`)
}

function checkedName(w: Word, origin: string): string {
  const text = absoluteName(w.text, origin)
  try {
    return readName(nameWire(text), 0)
  } catch (err) {
    throw badName(w, 'name', err)
  }
}

/** `[TTL] [CLASS] TYPE RDATA` (TTL and class either way round) owned by `owner`. */
function record(
  st: State,
  words: readonly Word[],
  ownerText: string,
  origin: string,
  at: Word,
): void {
  let ttl: number | undefined
  let klass: number | undefined
  let i = 0
  for (; i < words.length; i++) {
    const w = words[i]!
    const c = klass === undefined && !w.quoted ? classCode(w.text) : undefined
    const t = ttl === undefined && c === undefined && !w.quoted ? ttlSeconds(w.text) : undefined
    if (c !== undefined) klass = c
    else if (t !== undefined) ttl = t
    else break
  }
  const typeWord = words[i]
  if (typeWord === undefined) throw new ZoneSyntaxError(words.at(-1) ?? at, 'record has no type')
  const type = typeWord.quoted ? undefined : typeCode(typeWord.text)
  if (type === undefined) {
    throw new ZoneSyntaxError(typeWord, `unknown record type '${typeWord.text}'`)
  }
  if (ttl !== undefined && !st.ttlByDirective) st.ttl = ttl
  const owner = ownerWire(at, ownerText, type)
  const rdata = parseRdata(type, words.slice(i + 1), origin, typeWord)
  if (type === Type.SOA && !st.seenSoa) {
    st.seenSoa = true
    if (st.opts.unchangedSerial !== undefined && soaSerial(rdata) === st.opts.unchangedSerial) {
      throw new UnchangedSerial(`no change in SOA serial ${st.opts.unchangedSerial}`)
    }
  }
  if (st.out.length >= (st.opts.maxRecords ?? MAX_RECORDS)) {
    throw new ZoneSyntaxError(at, `more than ${st.opts.maxRecords ?? MAX_RECORDS} records`)
  }
  const offset = TARGET_OFFSET.get(type)
  st.out.push({
    name: lowerName(readName(owner, 0)),
    owner,
    type,
    class: klass ?? Class.IN,
    ttl: ttl ?? st.ttl ?? DEFAULT_TTL,
    rdata,
    ...(offset === undefined ? {} : { target: readName(rdata, offset) }),
  })
}

/** The owner's wire form, lowercased as CoreDNS stores owners (but SRV owners, which it keeps). */
function ownerWire(at: Word, text: string, type: number): Uint8Array {
  let wire: Uint8Array
  try {
    wire = nameWire(text)
  } catch (err) {
    throw badName(at, 'owner name', err)
  }
  if (type !== Type.SRV) {
    // length octets are at most 63, below 'A' (65): only label characters change
    for (let i = 0; i < wire.length; i++) if (wire[i]! >= 0x41 && wire[i]! <= 0x5a) wire[i]! |= 0x20
  }
  return wire
}

/** The serial of SOA rdata (after MNAME and RNAME). */
export function soaSerial(rdata: Uint8Array): number {
  return u32(rdata, skipName(rdata, skipName(rdata, 0)))
}
