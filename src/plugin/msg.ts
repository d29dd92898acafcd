// Building replies as dns-packet messages, for plugins that compose answers (template, hosts,
// whoami). dns-packet ignores a decoded `rcode` when encoding, so the rcode lives in the low 4
// bits of `flags`, set here in one place.

import dnsPacket from 'dns-packet'
import { Flag } from '../wire/message.ts'
import type { Msg, Request } from './plugin.ts'
import { className, packetType } from './rrtype.ts'

/** dns-packet names carry no trailing dot; the root is ''. */
export function packetName(fqdn: string): string {
  return fqdn === '.' ? '.' : fqdn.endsWith('.') ? fqdn.slice(0, -1) : fqdn
}

/** A reply to `req` (miekg SetReply): id, opcode, RD and CD copied, the question echoed as sent. */
export function replyMsg(req: Request, rcode = 0, extraFlags = 0): Msg {
  const opcode = req.flags & 0x7800
  let flags = opcode | (rcode & 0xf) | extraFlags
  if (opcode === 0) flags |= req.flags & (Flag.RD | Flag.CD)
  return {
    id: req.id,
    type: 'response',
    flags,
    questions: [
      {
        name: packetName(req.qname),
        type: packetType(req.type) as never,
        class: className(req.class) as never,
      },
    ],
    answers: [],
    authorities: [],
    additionals: [],
  }
}

export function encodeMsg(m: Msg): Uint8Array {
  return dnsPacket.encode(m)
}

export function msgRcode(m: Msg): number {
  return (m.flags ?? 0) & 0xf
}
