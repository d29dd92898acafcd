// A cached reply kept as wire bytes (docs/architecture.md): the message without its OPT
// record plus the offset of every TTL. A hit copies the bytes and patches ID, question case,
// flags and TTLs; nothing is decoded or encoded.
//
// The bytes are kept in a latin1 string (one character a byte), not a Uint8Array. A string is
// its bytes plus a 28-byte header, all in the heap; a typed array is ~208 bytes of objects (its
// own and its buffer's) plus its bytes, in the heap up to 64 of them and in a backing store
// outside it past that. So an entry of a one-record answer is ~400 bytes instead of ~600
// (`node --expose-gc bench/cache-entry.ts`), less for a flood of new names to promote and leave
// to a Mark-Compact; every size takes less memory in all, but past ~180 bytes the string puts
// more into the heap than the typed array did. A hit copies it with ~15 ns more than set().

import type { Request } from '../../src/plugin/plugin.ts'
import { Flag, HEADER, type Layout, rrType, setU16, setU32, u16 } from '../../src/wire/message.ts'
import { Type } from '../../src/plugin/rrtype.ts'

const OPCODE_MASK = 0x7800

export class Entry {
  /**
   * The reply without OPT, one latin1 character a byte; its question is the first client's
   * (same length as any other's).
   */
  readonly wire: string
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
    wire: string,
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
    return this.wire.charCodeAt(3) & 0xf
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
): { wire: string; ttls: readonly number[] } | undefined {
  const records = l.starts.length - 1
  const additional = l.an + l.ns
  let kept = records
  while (kept > additional && rrType(reply, l, kept - 1) === Type.OPT) kept--
  for (let i = additional; i < kept; i++) if (rrType(reply, l, i) === Type.OPT) return undefined
  const end = l.starts[kept]!
  // Read straight from the reply (ARCOUNT lowered for the moment the string is made): a copy
  // first was ~100 bytes of garbage a stored reply
  const ar = u16(reply, 10)
  if (kept < records) setU16(reply, 10, l.ar - (records - kept))
  const view = reply instanceof Buffer ? reply : Buffer.from(reply.buffer, reply.byteOffset, reply.length)
  const wire = view.toString('latin1', 0, end)
  setU16(reply, 10, ar)
  return { wire, ttls: kept === records ? l.ttls : l.ttls.slice(0, kept) }
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
  out.write(src, 0, 'latin1')
  const q = r.wire
  out[0] = q[0]!
  out[1] = q[1]!
  if (r.questionEnd === e.questionEnd) for (let i = HEADER; i < e.questionEnd; i++) out[i] = q[i]!
  const qf = r.flags
  const aa = storedAa ? ((out[2]! << 8) & Flag.AA) : Flag.AA
  const stored3 = out[3]!
  let flags = Flag.QR | (qf & OPCODE_MASK) | aa | (stored3 & (Flag.RA | 0xf))
  if ((qf & OPCODE_MASK) === 0) flags |= qf & (Flag.RD | Flag.CD)
  if ((stored3 & Flag.AD) !== 0 && (r.do || (qf & Flag.AD) !== 0)) flags |= Flag.AD
  setU16(out, 2, flags)
  const ttls = e.ttls
  for (let i = 0; i < ttls.length; i++) setU32(out, ttls[i]!, ttl)
  return out
}
