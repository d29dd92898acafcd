// RR type and class mnemonics as miekg/dns (so CoreDNS) reads and prints them: in Corefiles
// (`template IN HTTPS`, `acl ... type SVCB`), log and error lines, .Type and metric labels.
// dns-packet knows fewer (no HTTPS, SVCB, URI...), and cannot encode a name it does not know:
// messages given to dns-packet use packetType.

import classes from 'dns-packet/classes.js'
import types from 'dns-packet/types.js'

/** miekg/dns types dns-packet does not name (types.go, v1.1.72). */
const EXTRA: Readonly<Record<string, number>> = {
  MD: 3,
  MF: 4,
  MB: 7,
  MG: 8,
  MR: 9,
  MINFO: 14,
  X25: 19,
  ISDN: 20,
  RT: 21,
  NSAPPTR: 23,
  PX: 26,
  GPOS: 27,
  NXT: 30,
  EID: 31,
  NIMLOC: 32,
  ATMA: 34,
  SMIMEA: 53,
  NINFO: 56,
  RKEY: 57,
  TALINK: 58,
  OPENPGPKEY: 61,
  CSYNC: 62,
  ZONEMD: 63,
  SVCB: 64,
  HTTPS: 65,
  UINFO: 100,
  UID: 101,
  GID: 102,
  UNSPEC: 103,
  NID: 104,
  L32: 105,
  L64: 106,
  LP: 107,
  EUI48: 108,
  EUI64: 109,
  NXNAME: 128,
  URI: 256,
  AVC: 258,
  AMTRELAY: 260,
  RESINFO: 261,
  MAILB: 253,
  MAILA: 254,
}

const NAMES = new Map(Object.entries(EXTRA).map(([name, code]) => [code, name]))
NAMES.set(0, 'None') // miekg's spelling of type 0

/** The RR types code compares against, by number (a name only when it is printed or parsed). */
export const Type = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const

export const Class = {
  IN: 1,
  CH: 3,
  /** RFC 2136; dns-packet has no name for it. */
  NONE: 254,
  ANY: 255,
} as const

/** RR type mnemonic as CoreDNS prints it (TYPE65280 style for unknown ones). */
export function typeName(type: number): string {
  const s = types.toString(type)
  return s.startsWith('UNKNOWN_') ? (NAMES.get(type) ?? `TYPE${type}`) : s
}

/** RR type number for a mnemonic (dns-packet's or miekg's) or TYPEnnn; undefined when unknown. */
export function typeCode(name: string): number | undefined {
  const upper = name.toUpperCase()
  const m = /^TYPE(\d+)$/.exec(upper)
  if (m) return Number(m[1])
  const t = types.toType(upper)
  return t === 0 ? EXTRA[upper] : t
}

/** The type as dns-packet encodes it: its own mnemonic, else its UNKNOWN_n form. */
export function packetType(type: number): string {
  return types.toString(type)
}

/** Class mnemonic as miekg prints it: IN, CH, HS, NONE, ANY, else CLASSnnn. */
export function className(klass: number): string {
  if (klass === Class.NONE) return 'NONE'
  const s = classes.toString(klass)
  return s.startsWith('UNKNOWN_') ? `CLASS${klass}` : s
}

/** The type's mnemonic, "" for one without: miekg's TypeToString map (CoreDNS template's .Type). */
export function typeMnemonic(type: number): string {
  const s = typeName(type)
  return s.startsWith('TYPE') ? '' : s
}

/** The class's mnemonic, "" for one without: miekg's ClassToString map (template's .Class). */
export function classMnemonic(klass: number): string {
  const s = className(klass)
  return s.startsWith('CLASS') ? '' : s
}

export function classCode(name: string): number | undefined {
  const upper = name.toUpperCase()
  const m = /^CLASS(\d+)$/.exec(upper)
  if (m) return Number(m[1])
  if (upper === 'NONE') return Class.NONE
  const c = classes.toClass(upper)
  return c === 0 && upper !== 'RESERVED' ? undefined : c
}
