// Is a reply's question the query's? (CoreDNS request.Match, without the QR bit, which callers
// check first for their own reasons.) Read from the bytes: the same question count, then the
// question bytes equal but for the case of letters inside labels (RFC 4343: an upstream may echo
// 0x20-randomised case). Equal bytes also mean the reply's question ends where the query's does.

import { HEADER, u16 } from '../wire/message.ts'

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
