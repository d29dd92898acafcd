// Authoritative replies built as bytes (template, hosts, whoami...): the request's header and question,
// AA, the rcode and the records of each section. An owner equal to the question name is written
// as a pointer to it (0xC00C), as a compressing encoder would; nothing else is compressed.

import type { Request } from '../plugin/plugin.ts'
import { Flag, setU16 } from '../wire/message.ts'
import { rcodeReply } from '../wire/reply.ts'
import { rrWire, type Rr } from './rr.ts'

const QUESTION_POINTER = Uint8Array.of(0xc0, 12)
const HEADER = 12

/** The record's bytes; its owner becomes a pointer when it is the question name byte for byte. */
export function encodeRr(rr: Rr, req: Request): Uint8Array {
  return rrWire(rr, sameName(req, rr.owner) ? QUESTION_POINTER : undefined)
}

function sameName(req: Request, owner: Uint8Array): boolean {
  const end = req.questionEnd - 4
  if (owner.length !== end - HEADER) return false
  const w = req.wire
  for (let i = 0; i < owner.length; i++) if (w[HEADER + i] !== owner[i]) return false
  return true
}

/** The reply with AA (and `flags`), `rcode` and the given answer, authority and additional RRs. */
export function buildReply(
  req: Request,
  rcode: number,
  flags: number,
  answer: readonly Uint8Array[],
  authority: readonly Uint8Array[] = [],
  additional: readonly Uint8Array[] = [],
): Uint8Array {
  const head = rcodeReply(req, rcode)
  let size = head.length
  for (const rr of answer) size += rr.length
  for (const rr of authority) size += rr.length
  for (const rr of additional) size += rr.length
  const out = new Uint8Array(size)
  out.set(head)
  let o = head.length
  for (const section of [answer, authority, additional]) {
    for (const rr of section) {
      out.set(rr, o)
      o += rr.length
    }
  }
  out[2]! |= (Flag.AA | flags) >>> 8
  out[3]! |= (Flag.AA | flags) & 0xff
  setU16(out, 6, answer.length)
  setU16(out, 8, authority.length)
  setU16(out, 10, additional.length)
  return out
}
