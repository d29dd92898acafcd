// Is this the reply to our query? The ID, the QR bit and the question must match (the question's
// names ASCII case-insensitively, RFC 4343: an upstream may echo 0x20-randomised case). Everything
// is read from the bytes; nothing is decoded.

import { Flag, HEADER, u16 } from '../../src/wire/message.ts'
import type { DropReason } from './metrics.ts'

/** undefined when `reply` answers `query` under `id`; else why it must be dropped. */
export function checkReply(
  reply: Uint8Array,
  id: number,
  query: Uint8Array,
  questionEnd: number,
): DropReason | undefined {
  if (reply.length < HEADER || (u16(reply, 2) & Flag.QR) === 0) return 'malformed'
  if (u16(reply, 0) !== id) return 'id'
  return sameQuestion(query, questionEnd, reply) ? undefined : 'question'
}

/** Same question count, then the question bytes, label bytes compared case-insensitively. */
export function sameQuestion(query: Uint8Array, questionEnd: number, reply: Uint8Array): boolean {
  if (reply.length < questionEnd || u16(reply, 4) !== u16(query, 4)) return false
  let off = HEADER
  while (off < questionEnd) {
    // one question: labels, then a terminator or pointer, then type and class, all exact but
    // for the case of letters inside labels
    let len = query[off]!
    while (len !== 0 && (len & 0xc0) === 0) {
      if (reply[off] !== len) return false
      const end = off + 1 + len
      for (off++; off < end; off++) {
        const a = query[off]!
        const b = reply[off]!
        if (a !== b && ((a | 0x20) !== (b | 0x20) || (a | 0x20) < 0x61 || (a | 0x20) > 0x7a)) {
          return false
        }
      }
      len = query[off]!
    }
    const end = off + (len === 0 ? 1 : 2) + 4
    if (end > questionEnd) return false
    for (; off < end; off++) if (query[off] !== reply[off]) return false
  }
  return true
}
