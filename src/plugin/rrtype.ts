// RR type and class numbers and mnemonics as miekg/dns (so CoreDNS) reads and prints them: in
// Corefiles (`template IN HTTPS`, `acl ... type SVCB`), log and error lines, .Type and metric
// labels. This is the product's one table of them: code compares against Type.X and Class.X.
// dns-packet knows fewer (no HTTPS, SVCB, URI...), and cannot encode a name it does not know:
// messages given to dns-packet use packetType.

import types from 'dns-packet/types.js'

/** Every RR type miekg/dns names (ztypes.go TypeToString, v1.1.72), by number. */
// prettier-ignore
export const Type = {
  None: 0, A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10,
  PTR: 12, HINFO: 13, MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, X25: 19, ISDN: 20, RT: 21,
  'NSAP-PTR': 23, SIG: 24, KEY: 25, PX: 26, GPOS: 27, AAAA: 28, LOC: 29, NXT: 30, EID: 31,
  NIMLOC: 32, SRV: 33, ATMA: 34, NAPTR: 35, KX: 36, CERT: 37, DNAME: 39, OPT: 41, APL: 42,
  DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49, NSEC3: 50,
  NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, HIP: 55, NINFO: 56, RKEY: 57, TALINK: 58, CDS: 59,
  CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, SPF: 99,
  UINFO: 100, UID: 101, GID: 102, UNSPEC: 103, NID: 104, L32: 105, L64: 106, LP: 107,
  EUI48: 108, EUI64: 109, NXNAME: 128, TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252, MAILB: 253,
  MAILA: 254, ANY: 255, URI: 256, CAA: 257, AVC: 258, AMTRELAY: 260, RESINFO: 261, TA: 32768,
  DLV: 32769, Reserved: 65535,
} as const

/** The classes miekg/dns names (msg.go ClassToString); NONE is RFC 2136's. */
export const Class = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const

const byCode = (table: Readonly<Record<string, number>>): ReadonlyMap<number, string> =>
  new Map(Object.entries(table).map(([name, code]) => [code, name]))
const TYPE_NAMES = byCode(Type)
const CLASS_NAMES = byCode(Class)

/** RR type mnemonic as CoreDNS prints it (TYPE65280 style for unknown ones). */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`
}

/** RR type number for a mnemonic (any case) or TYPEnnn; undefined when unknown. */
export function typeCode(name: string): number | undefined {
  const upper = name.toUpperCase()
  const m = /^TYPE(\d+)$/.exec(upper)
  if (m) return Number(m[1])
  return Object.hasOwn(Type, upper) ? Type[upper as keyof typeof Type] : undefined
}

/** The type as dns-packet encodes it: its own mnemonic, else its UNKNOWN_n form. */
export function packetType(type: number): string {
  return types.toString(type)
}

/** Class mnemonic as miekg prints it: IN, CH, HS, NONE, ANY, else CLASSnnn. */
export function className(klass: number): string {
  return CLASS_NAMES.get(klass) ?? `CLASS${klass}`
}

/** The type's mnemonic, "" for one without: miekg's TypeToString map (CoreDNS template's .Type). */
export function typeMnemonic(type: number): string {
  return TYPE_NAMES.get(type) ?? ''
}

/** The class's mnemonic, "" for one without: miekg's ClassToString map (template's .Class). */
export function classMnemonic(klass: number): string {
  return CLASS_NAMES.get(klass) ?? ''
}

/** Class number for a mnemonic (any case) or CLASSnnn; undefined when unknown. */
export function classCode(name: string): number | undefined {
  const upper = name.toUpperCase()
  const m = /^CLASS(\d+)$/.exec(upper)
  if (m) return Number(m[1])
  return Object.hasOwn(Class, upper) ? Class[upper as keyof typeof Class] : undefined
}
