// Is this the reply to our query? The ID, the QR bit and the question must match (the question's
// names ASCII case-insensitively). Everything is read from the bytes; nothing is decoded.

import { sameQuestion } from '../../src/dns/question.ts'
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
