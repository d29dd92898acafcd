// chaos: answers the CH TXT queries that identify a server (CoreDNS plugin/chaos):
// version.bind and version.server, authors.bind, hostname.bind and id.server. Anything else goes
// to the next plugin.

import { hostname } from 'node:os'
import { replyMsg, packetName } from '../../src/plugin/msg.ts'
import { nextOrFailure, type Handler, type Msg } from '../../src/plugin/plugin.ts'
import { Class, Type } from '../../src/plugin/rrtype.ts'

/** A TXT character-string holds at most 255 bytes. */
const MAX_TXT = 255

export interface ChaosConfig {
  readonly version: string
  readonly authors: readonly string[]
}

export function trimTxt(s: string): string {
  return s.length <= MAX_TXT ? s : s.slice(0, MAX_TXT)
}

/** The TXT strings for `name`, or undefined when chaos does not answer it. */
function texts(cfg: ChaosConfig, name: string): string[] | undefined {
  switch (name) {
    case 'version.bind.':
    case 'version.server.':
      return [cfg.version]
    case 'authors.bind.':
      return shuffled(cfg.authors)
    case 'hostname.bind.':
    case 'id.server.':
      return [trimTxt(hostname() || 'localhost')]
    default:
      return undefined
  }
}

/** A random order each time, as CoreDNS's rand.Perm. */
function shuffled(list: readonly string[]): string[] {
  const out = [...list]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

export function chaosHandler(cfg: ChaosConfig, next: Handler | undefined): Handler {
  return {
    name: 'chaos',
    serveDNS(ctx, w, r) {
      const txt = r.class === Class.CH && r.type === Type.TXT ? texts(cfg, r.name) : undefined
      if (txt === undefined) return nextOrFailure('chaos', next, ctx, w, r)
      const m: Msg = replyMsg(r)
      const name = packetName(r.qname)
      m.answers = txt.map((data) => ({ name, type: 'TXT', class: 'CH', ttl: 0, data }))
      w.writeMsg(m, 'chaos')
      return 0
    },
  }
}
