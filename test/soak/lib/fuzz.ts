// Hostile DNS messages from a seeded generator, so a failing run can be replayed from its seed:
// random bytes, valid queries with bits flipped or bytes overwritten, cut or extended, counts
// that lie, compression pointers that loop, oversized names and OPT records that make no sense.

import type { RecordType } from 'dns-packet'
import { buildQuery } from '../../helpers/index.ts'

/** xorshift32: fast, seedable, good enough to pick mutations (not for anything secret). */
export class Rng {
  #s: number

  constructor(seed: number) {
    this.#s = seed >>> 0 || 0x9e3779b9
  }

  /** 0 <= n < 2^32 */
  u32(): number {
    let x = this.#s
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#s = x >>> 0
    return this.#s
  }

  /** 0 <= n < max */
  int(max: number): number {
    return this.u32() % max
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff
    return out
  }
}

const TYPES = ['A', 'AAAA', 'TXT', 'MX', 'SRV', 'PTR', 'NS', 'SOA', 'CNAME', 'ANY', 'DS',
  'CAA'] as RecordType[]

/** Valid queries to start mutations from (names under the zones the soak Corefile serves). */
export function seedQueries(zones: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const zone of zones) {
    for (const type of TYPES) {
      out.push(buildQuery(`www.${zone}`, type))
      out.push(buildQuery(`a.b.c.${zone}`, type, { edns: { udpSize: 4096, do: true } }))
      out.push(buildQuery(`x.${zone}`, type, { edns: true, cd: true }))
    }
  }
  out.push(buildQuery('version.bind', 'TXT', { class: 'CH' }))
  return out
}

const setU16 = (b: Uint8Array, off: number, v: number): void => {
  if (off + 1 >= b.length) return
  b[off] = (v >>> 8) & 0xff
  b[off + 1] = v & 0xff
}

/** A name whose pointer points at itself or at a loop (readers must give up, not spin). */
function pointerLoop(rng: Rng, seed: Uint8Array): Uint8Array {
  const b = new Uint8Array(Math.max(seed.length, 20))
  b.set(seed)
  const at = 12 + rng.int(4)
  b[at] = 0xc0
  b[at + 1] = rng.int(3) === 0 ? at : 12
  return b
}

/** A question name of many maximal labels (past 255 octets) or deep nesting of 1-byte labels. */
function hugeName(rng: Rng, seed: Uint8Array): Uint8Array {
  const labels = rng.int(2) === 0 ? Array(5).fill(63) : Array(140).fill(1)
  const name = labels.flatMap((n: number) => [n, ...Array<number>(n).fill(0x61)])
  const out = new Uint8Array(12 + name.length + 1 + 4)
  out.set(seed.subarray(0, 12))
  setU16(out, 4, 1)
  setU16(out, 6, 0)
  setU16(out, 8, 0)
  setU16(out, 10, 0)
  out.set(name, 12)
  setU16(out, 12 + name.length + 1, 1)
  setU16(out, 12 + name.length + 3, 1)
  return out
}

/** The seed with many OPT records, odd versions, sizes and option lengths. */
function weirdOpt(rng: Rng, seed: Uint8Array): Uint8Array {
  const n = 1 + rng.int(3)
  const opt = (): number[] => {
    const optLen = rng.int(3) === 0 ? 65535 : rng.int(12)
    const rdata = Array.from({ length: 4 }, () => rng.int(256))
    return [0, 0, 41, rng.int(256), rng.int(256), rng.int(256), rng.int(256), rng.int(256),
      rng.int(256), 0, 4 + rng.int(3), 0, rng.int(16), optLen >>> 8, optLen & 0xff, ...rdata]
  }
  const extra = Array.from({ length: n }, opt).flat()
  const q = seed.subarray(0, questionEnd(seed))
  const out = new Uint8Array(q.length + extra.length)
  out.set(q)
  out.set(extra, q.length)
  setU16(out, 6, 0)
  setU16(out, 8, 0)
  setU16(out, 10, n)
  return out
}

function questionEnd(b: Uint8Array): number {
  let off = 12
  while (off < b.length && b[off] !== 0) off += b[off]! + 1
  return Math.min(b.length, off + 5)
}

/** One hostile message; `seeds` are valid queries to mutate. */
export function mutant(rng: Rng, seeds: readonly Uint8Array[]): Uint8Array {
  const seed = rng.pick(seeds)
  switch (rng.int(10)) {
    case 0:
      return rng.bytes(rng.int(rng.int(4) === 0 ? 1500 : 64))
    case 1: {
      // flip a few bits
      const b = Uint8Array.from(seed)
      for (let i = 1 + rng.int(4); i > 0; i--) b[rng.int(b.length)]! ^= 1 << rng.int(8)
      return b
    }
    case 2: {
      // overwrite a few bytes with interesting values
      const b = Uint8Array.from(seed)
      const vals = [0, 0xff, 0xc0, 0x3f, 0x40, 0x80, 1, 0x29]
      for (let i = 1 + rng.int(4); i > 0; i--) b[rng.int(b.length)] = rng.pick(vals)
      return b
    }
    case 3:
      return seed.slice(0, rng.int(seed.length))
    case 4: {
      // trailing garbage
      const b = new Uint8Array(seed.length + 1 + rng.int(300))
      b.set(seed)
      b.set(rng.bytes(b.length - seed.length), seed.length)
      return b
    }
    case 5: {
      // counts that lie
      const b = Uint8Array.from(seed)
      setU16(b, 4 + 2 * rng.int(4), rng.pick([0, 1, 2, 0xffff, rng.int(0x10000)]))
      return b
    }
    case 6: {
      // header flags: QR, opcodes, Z, rcode
      const b = Uint8Array.from(seed)
      setU16(b, 2, rng.int(0x10000))
      return b
    }
    case 7:
      return pointerLoop(rng, seed)
    case 8:
      return hugeName(rng, seed)
    default:
      return weirdOpt(rng, seed)
  }
}

/**
 * A hostile upstream reply that still carries the query's ID and question, so it passes forward's
 * reply check and reaches the cache and the writer: the records after the question are mutated.
 */
export function mutantReply(rng: Rng, query: Uint8Array, good: Uint8Array): Uint8Array {
  const qEnd = questionEnd(query)
  const tail = good.slice(qEnd)
  switch (rng.int(5)) {
    case 0:
      for (let i = 1 + rng.int(6); i > 0 && tail.length > 0; i--) {
        tail[rng.int(tail.length)] = rng.u32()
      }
      break
    case 1:
      return join(good.subarray(0, qEnd), rng.bytes(rng.int(200)), rng)
    case 2:
      return join(good.subarray(0, qEnd), tail.subarray(0, rng.int(tail.length + 1)), rng)
    case 3: {
      const b = Uint8Array.from(good)
      setU16(b, 6 + 2 * rng.int(3), rng.pick([0, 1, 5, 0xffff]))
      return b
    }
    default:
      break
  }
  return join(good.subarray(0, qEnd), tail, rng)
}

function join(head: Uint8Array, tail: Uint8Array, rng: Rng): Uint8Array {
  const out = new Uint8Array(head.length + tail.length)
  out.set(head)
  out.set(tail, head.length)
  out[2] = (out[2]! | 0x80) & 0xff // QR stays set: it must look like a reply
  if (rng.int(4) === 0) out[3] = rng.u32() & 0xff // any rcode, RA, AD
  return out
}
