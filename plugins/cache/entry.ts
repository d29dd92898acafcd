// A cached reply kept as wire bytes (docs/architecture.md): the message without its OPT
// record, then the offset of every TTL and of the question's end. A hit copies the bytes and
// patches ID, question case, flags and TTLs; nothing is decoded or encoded.
//
// All of it is one latin1 string (one character a byte), the only object an entry keeps in the
// heap beside its key (table.ts holds the rest in typed arrays). A string is its bytes plus a
// header, and holds no pointers for the collector to follow; a Uint8Array is ~208 bytes of
// objects before its bytes. A hit copies it with ~15 ns more than set().

import type { Request } from '../../src/plugin/plugin.ts'
import { Flag, HEADER, type Layout, setU16, setU32 } from '../../src/wire/message.ts'
import { trailingOpts } from '../../src/wire/opt.ts'

const OPCODE_MASK = 0x7800

/**
 * A reply the cache may store (Cache.examine): its stored form and what the table keeps beside
 * it. Made once per reply; once stored, a slot of the table holds it.
 */
export class Entry {
  /** The stored form (storedForm). */
  readonly wire: string
  readonly denial: boolean
  /** Seconds the entry is fresh for: every TTL in a reply built from it counts down from this. */
  readonly origTtl: number
  /** When it was stored, in ms. */
  readonly stored: number
  /** Its answer section resolves the question (prefer_positive keeps such an entry). */
  readonly answers: boolean
  /** Its slot in the cache's table once stored (table.ts). */
  slot = -1

  constructor(wire: string, denial: boolean, origTtl: number, stored: number, answers: boolean) {
    this.wire = wire
    this.denial = denial
    this.origTtl = origTtl
    this.stored = stored
    this.answers = answers
  }

  get rcode(): number {
    return storedRcode(this.wire)
  }

  /** Remaining seconds (negative once expired), as CoreDNS item.ttl truncates. */
  ttl(now: number): number {
    return remaining(this.origTtl, this.stored, now)
  }
}

function storedRcode(stored: string): number {
  return stored.charCodeAt(3) & 0xf
}

/** CoreDNS item.ttl: seconds left of `origTtl` from `stored` (ms), truncated, negative once expired. */
export function remaining(origTtl: number, stored: number, now: number): number {
  return origTtl - Math.trunc((now - stored) / 1000)
}

/**
 * The stored form of `reply`: its bytes without its OPT records (forward keeps an upstream's for
 * a client that sent EDNS; a plugin's reply may end with one), then two characters for each TTL's
 * offset, for their count and for the question's end. Its question is the first client's (of the
 * same length as any other's: render puts each client's own in). undefined when an OPT is not
 * among the last records (trailingOpts).
 */
export function storedForm(reply: Uint8Array, l: Layout): string | undefined {
  // no DNS message is longer (TCP's length prefix); a plugin could write one, not cached
  if (reply.length > MAX_MESSAGE) return undefined
  const records = l.starts.length - 1
  const kept = trailingOpts(reply, l)
  if (kept < 0) return undefined
  const end = l.starts[kept]!
  // assembled where no garbage is left: the string is then made flat, in one piece
  scratch.set(reply)
  if (kept < records) setU16(scratch, 10, l.ar - (records - kept))
  let o = end
  for (let i = 0; i < kept; i++) o = u16At(scratch, o, l.ttls[i]!)
  o = u16At(scratch, o, kept)
  o = u16At(scratch, o, l.questionEnd)
  return scratch.toString('latin1', 0, o)
}

const MAX_MESSAGE = 65535
/** A DNS message and the most TTL offsets one can hold (a record is at least 11 bytes). */
const scratch = Buffer.allocUnsafeSlow(MAX_MESSAGE + 2 * Math.ceil(MAX_MESSAGE / 11) + 4)

function u16At(buf: Uint8Array, o: number, v: number): number {
  setU16(buf, o, v)
  return o + 2
}

/** How many of a stored form's characters are the reply's bytes; the TTL offsets follow. */
export function storedLength(stored: string): number {
  return stored.length - 4 - 2 * charU16(stored, stored.length - 4)
}

function charU16(s: string, i: number): number {
  return (s.charCodeAt(i) << 8) | s.charCodeAt(i + 1)
}

/**
 * The reply to `r` from a stored form with every TTL set to `ttl`: the client's ID and question
 * (its 0x20 case), AA set (CoreDNS: some stub resolvers drop non-authoritative replies) unless
 * `storedAa` asks for the upstream's bit (a reply just fetched, which CoreDNS passes on as is),
 * RA and rcode as stored, RD/CD copied (miekg SetReply), AD only for a client that asked with DO
 * or AD (RFC 6840 §5.7). The server's writer mirrors the client's EDNS.
 */
export function render(stored: string, r: Request, ttl: number, storedAa = false): Uint8Array {
  const end = stored.length - 4
  const questionEnd = charU16(stored, end + 2)
  const len = storedLength(stored)
  const out = Buffer.allocUnsafe(len) // pooled: a hit costs no fresh ArrayBuffer
  out.write(stored, 0, len, 'latin1')
  const q = r.wire
  out[0] = q[0]!
  out[1] = q[1]!
  if (r.questionEnd === questionEnd) for (let i = HEADER; i < questionEnd; i++) out[i] = q[i]!
  const qf = r.flags
  const aa = storedAa ? ((out[2]! << 8) & Flag.AA) : Flag.AA
  const stored3 = out[3]!
  let flags = Flag.QR | (qf & OPCODE_MASK) | aa | (stored3 & (Flag.RA | 0xf))
  if ((qf & OPCODE_MASK) === 0) flags |= qf & (Flag.RD | Flag.CD)
  if ((stored3 & Flag.AD) !== 0 && (r.do || (qf & Flag.AD) !== 0)) flags |= Flag.AD
  setU16(out, 2, flags)
  for (let i = len; i < end; i += 2) setU32(out, charU16(stored, i), ttl)
  return out
}
