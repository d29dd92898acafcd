// The query streams, written as dnsperf input files. Every name is under bench. (the upstream
// answers them all) or tpl.bench. (answered by each server itself). A stream is tagged by the
// phase that sends it, so a phase never finds names a previous phase put in the cache, except
// where that is the point (hits).

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOCAL_ZONE, WHOAMI_ZONE } from './servers.ts'

export interface Workload {
  readonly name: string
  /** What the table says about it. */
  readonly about: string
  /** The dnsperf file for one phase (`tag` keeps phases apart), long enough for `count` queries. */
  file(dir: string, tag: string, count: number): string
  /** Send the whole file once before measuring (fills the cache with what is measured). */
  readonly prime: boolean
  /**
   * The latency phase's share of BENCH_RATE: forwarding peers answer 15-25k misses a second on
   * one core, and a server past its capacity only measures its queue.
   */
  readonly rateShare: number
  /** The servers that can answer it, when not every one can (whoami is a CoreDNS plugin). */
  readonly servers?: readonly string[]
}

const HIT_NAMES = 1000
/** Zipf's universe and exponent: a popular head that stays cached and a long tail that misses. */
const ZIPF_NAMES = 1_000_000
const ZIPF_S = 1.0

/** Files written in this run: a phase's file is the same for every server and round. */
const written = new Set<string>()

function write(dir: string, file: string, lines: () => Iterable<string>): string {
  const path = join(dir, file)
  if (!written.has(path)) writeFileSync(path, [...lines()].join('\n') + '\n')
  written.add(path)
  return path
}

function* range(n: number, line: (i: number) => string): Iterable<string> {
  for (let i = 0; i < n; i++) yield line(i)
}

/** A small seeded generator (mulberry32): the same stream for every server. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

let zipfCdf: Float64Array | undefined

/** Ranks 0..ZIPF_NAMES-1 drawn with P(k) ∝ 1/(k+1)^s, by binary search in the CDF. */
function* zipf(n: number, seed: number): Iterable<number> {
  if (zipfCdf === undefined) {
    zipfCdf = new Float64Array(ZIPF_NAMES)
    let sum = 0
    for (let k = 0; k < ZIPF_NAMES; k++) zipfCdf[k] = sum += 1 / Math.pow(k + 1, ZIPF_S)
    for (let k = 0; k < ZIPF_NAMES; k++) zipfCdf[k]! /= sum
  }
  const cdf = zipfCdf
  const rnd = random(seed)
  for (let i = 0; i < n; i++) {
    const u = rnd()
    let lo = 0
    let hi = ZIPF_NAMES - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    yield lo
  }
}

export const hits: Workload = {
  name: 'cache hits',
  about: `${HIT_NAMES} names, all cached before measuring`,
  prime: true,
  rateShare: 1,
  file: (dir) => write(dir, 'hits.txt', () => range(HIT_NAMES, (i) => `h${i}.bench A`)),
}

export const misses: Workload = {
  name: 'cache misses',
  about: 'unique names, each forwarded to the upstream',
  prime: false,
  rateShare: 0.25,
  file: (dir, tag, count) =>
    write(dir, `misses-${tag}.txt`, () => range(count, (i) => `m${i}.${tag}.bench A`)),
}

export const mixed: Workload = {
  name: 'mixed Zipf',
  about: `Zipf (s=${ZIPF_S}) over ${ZIPF_NAMES / 1e6}M names, cold at start`,
  prime: false,
  rateShare: 0.25,
  file(dir, tag, count) {
    const seed = [...tag].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7)
    return write(dir, `zipf-${tag}.txt`, function* () {
      for (const k of zipf(count, seed)) yield `z${k}.${tag}.bench A`
    })
  },
}

export const local: Workload = {
  name: 'template',
  about: `${HIT_NAMES} names under ${LOCAL_ZONE}, answered by the server itself`,
  prime: false,
  rateShare: 1,
  file: (dir) =>
    write(dir, 'local.txt', () => range(HIT_NAMES, (i) => `h${i}.${LOCAL_ZONE} A`)),
}

export const whoami: Workload = {
  name: 'whoami',
  about: `${HIT_NAMES} names under ${WHOAMI_ZONE}, answered by the whoami plugin (tsdns and CoreDNS)`,
  prime: false,
  rateShare: 1,
  servers: ['node ceiling', 'coredns', 'tsdns'],
  file: (dir) =>
    write(dir, 'whoami.txt', () => range(HIT_NAMES, (i) => `h${i}.${WHOAMI_ZONE} A`)),
}

export const workloads: readonly Workload[] = [hits, misses, mixed, local, whoami]
