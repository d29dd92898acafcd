// Crafted upstream replies, each broken in one way (issue 14 item 8), built from the query they
// answer: its ID and question are kept so that only the malformation can make tsdns refuse it.
// Shared by the validator's unit tests, the forward e2e tests and the upstream-replies scenario.

const HEADER = 12

/** The query's header (ID kept, QR RD RA set) with these counts, then its question. */
function head(query: Uint8Array, an: number, ns: number, ar: number): number[] {
  const qEnd = questionEnd(query)
  const out = [query[0]!, query[1]!, 0x81, 0x80, 0, 1, an >> 8, an & 0xff, ns >> 8, ns & 0xff,
    ar >> 8, ar & 0xff]
  for (let i = HEADER; i < qEnd; i++) out.push(query[i]!)
  return out
}

/** End of the query's single, uncompressed question. */
export function questionEnd(query: Uint8Array): number {
  let off = HEADER
  while (query[off] !== 0) off += query[off]! + 1
  return off + 5
}

const u16 = (v: number): number[] => [v >> 8, v & 0xff]
const TTL = [0, 0, 0x01, 0x2c] // 300 s
/** The question's name, by pointer. */
const QNAME = [0xc0, HEADER]

/** An RR: owner bytes, type, class IN, TTL 300, rdata (rdlength from its length unless given). */
function rr(owner: number[], type: number, rdata: number[], rdlength = rdata.length): number[] {
  return [...owner, ...u16(type), 0, 1, ...TTL, ...u16(rdlength), ...rdata]
}

const A = (owner: number[] = QNAME): number[] => rr(owner, 1, [192, 0, 2, 1])
/** An OPT RR (UDP size 1232, no options) with `owner` (root by default). */
const OPT = (owner: number[] = [0]): number[] => [...owner, 0, 41, ...u16(1232), 0, 0, 0, 0, 0, 0]

export type Build = (query: Uint8Array) => Uint8Array

const msg = (parts: (q: Uint8Array, at: number) => { an: number; ns?: number; ar?: number;
  body: number[] }): Build => (query) => {
  const at = questionEnd(query)
  const p = parts(query, at)
  return Uint8Array.from([...head(query, p.an, p.ns ?? 0, p.ar ?? 0), ...p.body])
}

/** A valid answer: one A record, owner compressed to the question. */
export const valid: Build = msg(() => ({ an: 1, body: A() }))

/** Replies tsdns must refuse (CoreDNS fails to unpack them: SERVFAIL). */
export const INVALID: Readonly<Record<string, Build>> = {
  'pointer loop': msg((_q, at) => ({ an: 1, body: A([0xc0 | (at >> 8), at & 0xff]) })),
  'forward pointer': msg((_q, at) => {
    const second = at + 16 // the first RR is 16 bytes: pointer, 10 fixed, 4 rdata
    return { an: 2, body: [...A([0xc0 | (second >> 8), second & 0xff]), ...A()] }
  }),
  'pointer into a label': msg(() => ({ an: 1, body: A([0xc0, HEADER + 1]) })),
  'truncated RDATA': msg(() => ({ an: 1, body: rr(QNAME, 1, [192, 0], 4) })),
  'RDATA longer than an A': msg(() => ({ an: 1, body: rr(QNAME, 1, [192, 0, 2, 1, 9]) })),
  'CNAME target pointing at itself': msg((_q, at) => {
    const target = at + 12 // the RDATA starts after pointer and the 10 fixed bytes
    return { an: 1, body: rr(QNAME, 5, [0xc0 | (target >> 8), target & 0xff]) }
  }),
  'name over 255 octets': msg(() => {
    const label = [63, ...new Array<number>(63).fill(0x61)]
    return { an: 1, body: A([...label, ...label, ...label, ...label, 0]) }
  }),
  'reserved label type': msg(() => ({ an: 1, body: A([0x40, 0x61, 0]) })),
  'truncated header': (query) => Uint8Array.from(head(query, 1, 0, 0).slice(0, 10)),
}

/** Replies tsdns takes after a repair (what CoreDNS's unpack and re-pack make of them). */
export const REPAIRED: Readonly<Record<string, Build>> = {
  'OPT in the answer section': msg(() => ({ an: 2, body: [...A(), ...OPT()] })),
  'OPT with a non-root owner': msg(() => ({ an: 1, ar: 1, body: [...A(), ...OPT(QNAME)] })),
  'two OPT records': msg(() => ({ an: 1, ar: 2, body: [...A(), ...OPT(), ...OPT()] })),
  'one OPT record': msg(() => ({ an: 1, ar: 1, body: [...A(), ...OPT()] })),
  'trailing bytes': msg(() => ({ an: 1, body: [...A(), 0xde, 0xad, 0xbe] })),
  'more records counted than present': msg(() => ({ an: 2, ns: 1, body: A() })),
  'fewer records counted than present': msg(() => ({ an: 1, body: [...A(), ...A()] })),
}
