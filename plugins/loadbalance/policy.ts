// How one section of a reply is reordered, as a permutation of its records (CoreDNS
// plugin/loadbalance). CNAMEs go first; the records of one owner name and type (A, AAAA, MX) trade
// places; every other record keeps its slot. Applying the permutation is balance.ts's job.

import type { Networks } from '../../src/dns/networks.ts'
import { Type } from '../../src/plugin/rrtype.ts'

export interface Rec {
  readonly type: number
  /**
   * Equal for records of one owner name (A, AAAA and MX only): the lowercased FQDN, or on the
   * wire, where the name starts (records whose names start apart never trade places).
   */
  readonly owner: string | number
  /** An A or AAAA record's address: `len` (4 or 16) bytes of `buf` from `at`; len 0 otherwise. */
  readonly buf: ArrayLike<number>
  readonly at: number
  readonly len: number
}

/** A random integer in [0, n). */
export type Rand = (n: number) => number

export const mathRand: Rand = (n) => Math.floor(Math.random() * n)

export const isAddress = (t: number) => t === Type.A || t === Type.AAAA

/** Positions of `perm` holding records of one owner and type that may trade places. */
function groups(
  recs: readonly Rec[],
  perm: readonly number[],
  types: (t: number) => boolean,
): number[][] {
  // sections are short: a linear search beats hashing a key per record
  const all: number[][] = []
  for (let pos = 0; pos < perm.length; pos++) {
    const r = recs[perm[pos]!]!
    if (!types(r.type)) continue
    const g = all.find((g) => {
      const first = recs[perm[g[0]!]!]!
      return first.type === r.type && first.owner === r.owner
    })
    if (g === undefined) all.push([pos])
    else g.push(pos)
  }
  return all.filter((g) => g.length > 1)
}

/** The identity order with CNAMEs moved first (both parts keep their order). */
function cnameFirst(recs: readonly Rec[]): number[] {
  const cnames: number[] = []
  const rest: number[] = []
  recs.forEach((r, i) => (r.type === Type.CNAME ? cnames : rest).push(i))
  return cnames.concat(rest)
}

/** round_robin: a uniform shuffle of every A, AAAA and MX group. */
export function roundRobin(recs: readonly Rec[], rand: Rand): number[] {
  const perm = cnameFirst(recs)
  for (const g of groups(recs, perm, (t) => isAddress(t) || t === Type.MX)) {
    for (let i = g.length - 1; i > 0; i--) {
      const j = rand(i + 1)
      const a = g[i]!
      const b = g[j]!
      ;[perm[a], perm[b]] = [perm[b]!, perm[a]!]
    }
  }
  return perm
}

/** Weights of addresses per owner name, from a weight file. */
export type Weights = ReadonlyMap<string, ReadonlyMap<string, number>>

export function ipKey(buf: ArrayLike<number>, at: number, len: number): string {
  let key = String(buf[at])
  for (let i = at + 1; i < at + len; i++) key += `,${buf[i]}`
  return key
}

/**
 * weighted: one address, picked with probability proportional to its weight (1 when the file
 * names none), trades places with the first address. No address: the section is left alone.
 */
export function weighted(recs: readonly Rec[], weights: Weights, rand: Rand): number[] {
  const perm = cnameFirst(recs)
  const addrs: number[] = []
  let sum = 0
  const ws: number[] = []
  for (let pos = 0; pos < perm.length; pos++) {
    const r = recs[perm[pos]!]!
    if (!isAddress(r.type) || r.len === 0) continue
    const w =
      (typeof r.owner === 'string' ? weights.get(r.owner) : undefined)?.get(
        ipKey(r.buf, r.at, r.len),
      ) ?? 1
    addrs.push(pos)
    ws.push(w)
    sum += w
  }
  if (addrs.length === 0) return recs.map((_, i) => i)
  let v = rand(sum)
  let k = 0
  while (v >= ws[k]!) v -= ws[k++]!
  const first = addrs[0]!
  const top = addrs[k]!
  ;[perm[first], perm[top]] = [perm[top]!, perm[first]!]
  return perm
}

/** prefer: within each address group, addresses in the listed networks first, in list order. */
export function prefer(recs: readonly Rec[], perm: number[], nets: readonly Networks[]): void {
  const rank = (src: number) => {
    const r = recs[src]!
    if (r.len === 0) return nets.length
    const i = nets.findIndex((n) => n.has(r.buf, r.at, r.len))
    return i < 0 ? nets.length : i
  }
  for (const g of groups(recs, perm, isAddress)) {
    const sorted = g.map((pos) => perm[pos]!).sort((a, b) => rank(a) - rank(b))
    g.forEach((pos, i) => (perm[pos] = sorted[i]!))
  }
}
