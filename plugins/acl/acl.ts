// acl: allow, block, filter or drop queries by zone, query type and source network (CoreDNS
// plugin/acl). Rules are tried in order; in a rule whose zones hold the name, the first policy
// matching type and source decides; no decision means the next rule, and in the end: allow.

import { logger } from '../../src/plugin/log.ts'
import {
  nextOrFailure,
  type ChainInfo,
  type Handler,
  type HandlerResult,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import type { Cell } from '../../src/plugin/metrics.ts'
import { matchZone } from '../../src/plugin/zones.ts'
import { setU16, setU32 } from '../../src/wire/message.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import { allowed, blocked, dropped, filtered } from './metrics.ts'
import { addressBytes, type Networks } from '../../src/dns/networks.ts'
import { Type } from '../../src/plugin/rrtype.ts'

export type Action = 'allow' | 'block' | 'filter' | 'drop'

export interface Policy {
  readonly action: Action
  /** Query types the policy applies to; undefined for all. */
  readonly types: ReadonlySet<number> | undefined
  readonly sources: Networks
}

export interface AclRule {
  /** Lowercased FQDNs. */
  readonly zones: readonly string[]
  readonly policies: readonly Policy[]
}

/** RFC 8914 Extended DNS Error: the EDNS option code and the info codes CoreDNS uses. */
const EDE_OPTION = 15
export const EDE_BLOCKED = 15
export const EDE_FILTERED = 17

const log = logger('acl')

/**
 * CoreDNS's reply: SetRcode + SetEdns0(4096, DO) with one EDE option. The server's scrub keeps
 * this OPT, its DO and its option, with the client's size when the client sent EDNS.
 */
function edeReply(r: Request, rcode: number, info: number): Uint8Array {
  const head = rcodeReply(r, rcode)
  const out = new Uint8Array(head.length + 17)
  out.set(head)
  setU16(out, 10, 1)
  const o = head.length // root name: the zero byte already there
  setU16(out, o + 1, Type.OPT)
  setU16(out, o + 3, 4096)
  setU32(out, o + 5, 0x8000)
  setU16(out, o + 9, 6)
  setU16(out, o + 11, EDE_OPTION)
  setU16(out, o + 13, 2)
  setU16(out, o + 15, info)
  return out
}

function decide(
  policies: readonly Policy[],
  type: number,
  source: readonly number[],
): Action | undefined {
  for (const p of policies) {
    if (p.types !== undefined && !p.types.has(type)) continue
    if (p.sources.has(source, 0, source.length)) return p.action
  }
  return undefined
}

interface ZoneCells {
  readonly blocked: Cell
  readonly filtered: Cell
  readonly dropped: Cell
}

export class AclHandler implements Handler {
  readonly name = 'acl'
  readonly #rules: readonly AclRule[]
  readonly #next: Handler | undefined
  readonly #allowed: Cell
  readonly #cells = new Map<string, ZoneCells>()

  constructor(rules: readonly AclRule[], next: Handler | undefined, chain: ChainInfo) {
    this.#rules = rules
    this.#next = next
    this.#allowed = allowed.child({ server: chain.server, view: '' })
    for (const zone of new Set(rules.flatMap((r) => r.zones))) {
      const labels = { server: chain.server, zone, view: '' }
      this.#cells.set(zone, {
        blocked: blocked.child(labels),
        filtered: filtered.child(labels),
        dropped: dropped.child(labels),
      })
    }
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    for (const rule of this.#rules) {
      const zone = matchZone(rule.zones, r.name)
      if (zone === undefined) continue
      const source = addressBytes(w.remote.address)
      let action: Action | undefined = 'block'
      if (source === undefined)
        log.error(`Blocking request. Unable to parse source address: ${w.remote.address}`)
      else action = decide(rule.policies, r.type, source)
      if (action === undefined) continue
      if (action === 'allow') break
      const cells = this.#cells.get(zone)!
      if (action === 'drop') {
        cells.dropped.value++
      } else if (action === 'block') {
        w.write(edeReply(r, Rcode.Refused, EDE_BLOCKED), 'acl')
        cells.blocked.value++
      } else {
        w.write(edeReply(r, Rcode.NoError, EDE_FILTERED), 'acl')
        cells.filtered.value++
      }
      return Rcode.NoError
    }
    this.#allowed.value++
    return nextOrFailure('acl', this.#next, ctx, w, r)
  }
}
