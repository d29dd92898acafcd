// A cached reply kept as wire bytes (docs/architecture.md): the message without its OPT
// record plus the offset of every TTL. A hit copies the bytes and patches ID, question case,
// flags and TTLs; nothing is decoded or encoded.

import type { Request } from '../../src/plugin/plugin.ts'
import { Flag, HEADER, type Layout, rrType, setU16, setU32 } from '../../src/wire/message.ts'
import { Type } from '../../src/plugin/rrtype.ts'

const OPCODE_MASK = 0x7800

export class Entry {
  /** The reply without OPT; its question is the first client's (same length as any other's). */
  readonly wire: Uint8Array
  /** Offsets of its TTLs: a plain array of small integers (~30 bytes, a Uint16Array ~90). */
  readonly ttls: readonly number[]
  readonly questionEnd: number
  readonly denial: boolean
  /** Seconds the entry is fresh for: every TTL in a reply built from it counts down from this. */
  readonly origTtl: number
  /** When it was stored, in ms. */
  readonly stored: number
  /** Its answer section resolves the question (prefer_positive keeps such an entry). */
  readonly answers: boolean
  /** prefer_positive: the last answering entry this non-answering one replaced. */
  lkg: Entry | undefined = undefined
  /** Prefetch popularity (CoreDNS freq.Freq): hits with gaps shorter than the prefetch window. */
  hits = 0
  last = 0
  /** The refresh in flight for this entry (prefetch or serve_stale), at most one. */
  refreshing: Promise<Entry | undefined> | undefined = undefined
  /** serve_stale FAILURE_RECHECK: no new refresh before this time (ms) after a failed one. */
  retryAfter = 0

  constructor(
    wire: Uint8Array,
    ttls: readonly number[],
    questionEnd: number,
    denial: boolean,
    origTtl: number,
    stored: number,
    answers: boolean,
  ) {
    this.wire = wire
    this.ttls = ttls
    this.questionEnd = questionEnd
    this.denial = denial
    this.origTtl = origTtl
    this.stored = stored
    this.answers = answers
  }

  get rcode(): number {
    return this.wire[3]! & 0xf
  }

  /** Remaining seconds (negative once expired), as CoreDNS item.ttl truncates. */
  ttl(now: number): number {
    return this.origTtl - Math.trunc((now - this.stored) / 1000)
  }

  /** Whether a new refresh may start: none in flight and no failure recheck pending. */
  canRefresh(now: number): boolean {
    return this.refreshing === undefined && now >= this.retryAfter
  }
}

/**
 * The stored form of `reply`: a copy without its OPT records (forward has taken an upstream's
 * out already; a plugin's reply may end with one). undefined when an OPT is not among the last
 * records (taking it out of the middle would move names that compression pointers target).
 */
export function storedForm(
  reply: Uint8Array,
  l: Layout,
): { wire: Uint8Array; ttls: readonly number[] } | undefined {
  const records = l.starts.length - 1
  const additional = l.an + l.ns
  let kept = records
  while (kept > additional && rrType(reply, l, kept - 1) === Type.OPT) kept--
  for (let i = additional; i < kept; i++) if (rrType(reply, l, i) === Type.OPT) return undefined
  const end = l.starts[kept]!
  const wire = new Uint8Array(end)
  wire.set(reply.subarray(0, end))
  if (kept < records) setU16(wire, 10, l.ar - (records - kept))
  return { wire, ttls: l.ttls.slice(0, kept) }
}

/**
 * The reply to `r` from `e` with every TTL set to `ttl`: the client's ID and question (its
 * 0x20 case), AA set (CoreDNS: some stub resolvers drop non-authoritative replies) unless
 * `storedAa` asks for the upstream's bit (a reply just fetched, which CoreDNS passes on as is),
 * RA and rcode as stored, RD/CD copied (miekg SetReply), AD only for a client that asked with DO
 * or AD (RFC 6840 §5.7). The server's writer mirrors the client's EDNS.
 */
export function render(e: Entry, r: Request, ttl: number, storedAa = false): Uint8Array {
  const src = e.wire
  const out = Buffer.allocUnsafe(src.length) // pooled: a hit costs no fresh ArrayBuffer
  out.set(src)
  const q = r.wire
  out[0] = q[0]!
  out[1] = q[1]!
  if (r.questionEnd === e.questionEnd) for (let i = HEADER; i < e.questionEnd; i++) out[i] = q[i]!
  const qf = r.flags
  const aa = storedAa ? ((src[2]! << 8) & Flag.AA) : Flag.AA
  let flags = Flag.QR | (qf & OPCODE_MASK) | aa | (src[3]! & (Flag.RA | 0xf))
  if ((qf & OPCODE_MASK) === 0) flags |= qf & (Flag.RD | Flag.CD)
  if ((src[3]! & Flag.AD) !== 0 && (r.do || (qf & Flag.AD) !== 0)) flags |= Flag.AD
  setU16(out, 2, flags)
  const ttls = e.ttls
  for (let i = 0; i < ttls.length; i++) setU32(out, ttls[i]!, ttl)
  return out
}
