// RR type mnemonics as miekg/dns knows them (dns.StringToType / dns.TypeToString). The shared
// typeCode/typeName in src/plugin/msg.ts know only dns-packet's list, which lacks HTTPS, SVCB, URI
// and others that CoreDNS accepts in a Corefile (`template IN HTTPS`, `acl { filter type HTTPS }`)
// and prints in `.Type` and in metric labels.

import { className, typeCode, typeName } from '../../src/plugin/msg.ts'

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

/** RR type number for a mnemonic (dns-packet's or miekg's) or TYPEnnn; undefined when unknown. */
export function rrTypeCode(name: string): number | undefined {
  return typeCode(name) ?? EXTRA[name.toUpperCase()]
}

/** The mnemonic CoreDNS prints for a type (TYPEnnn for one miekg does not know either). */
export function rrTypeName(type: number): string {
  const s = typeName(type)
  return s.startsWith('TYPE') ? (NAMES.get(type) ?? s) : s
}

/** Class mnemonic as miekg prints it: dns-packet's names, NONE, else CLASSnnn. */
export function rrClassName(klass: number): string {
  return klass === 254 ? 'NONE' : className(klass)
}
