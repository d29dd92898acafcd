// The file handler (CoreDNS plugin/file/file.go): the longest of its zones that holds the query
// name answers it authoritatively from the zone's data. A CNAME target the zone does not hold is
// looked up through this same server, and what it answers completes the reply (CoreDNS's
// upstream). Zone transfers are refused (tsdns has no transfer plugin).

import { AsyncLocalStorage } from 'node:async_hooks'
import dnsPacket, { type Answer as PacketAnswer } from 'dns-packet'
import {
  type Handler,
  type HandlerResult,
  type Msg,
  nextOrFailure,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { type Fall, matchZone } from '../../src/plugin/zones.ts'
import { Flag } from '../../src/wire/message.ts'
import { msgRcode } from '../../src/plugin/msg.ts'
import { buildReply, encodeRr } from '../../src/dns/answer.ts'
import { type Answer, Result, type Zone } from './zone.ts'
import type { ZoneRecord } from './zonefile.ts'
import { Type } from '../../src/plugin/rrtype.ts'

const NAME = 'file'

/** A zone the plugin serves; `zone` is swapped whole by a reload, and absent until first read. */
export interface ZoneSource {
  readonly origin: string
  zone: Zone | undefined
}

/** Lookups a query is nested in through this server (CoreDNS's LoopKey for the file plugin). */
const depth = new AsyncLocalStorage<number>()

interface AnswerCodec {
  encode(a: PacketAnswer): Uint8Array
}
const encodeAnswer = (dnsPacket as unknown as { answer: AnswerCodec }).answer.encode

export class FileHandler implements Handler {
  readonly name = NAME
  readonly #sources: ReadonlyMap<string, ZoneSource>
  readonly #origins: readonly string[]
  readonly #fall: Fall
  readonly #next: Handler | undefined

  constructor(sources: readonly ZoneSource[], fall: Fall, next: Handler | undefined) {
    this.#sources = new Map(sources.map((s) => [s.origin, s]))
    this.#origins = [...this.#sources.keys()]
    this.#fall = fall
    this.#next = next
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const origin = matchZone(this.#origins, r.name)
    if (origin === undefined) {
      // an authoritative server with nothing after it refuses what it does not serve
      return this.#next === undefined ? Rcode.Refused : this.#next.serveDNS(ctx, w, r)
    }
    const zone = this.#sources.get(origin)!.zone
    if (zone === undefined) return Rcode.ServFail // the file was never read: no SOA to answer with
    if (r.type === Type.AXFR || r.type === Type.IXFR) return Rcode.Refused
    const level = depth.getStore() ?? 0
    const found = zone.lookup(r.name, r.type, level)
    if (found.external === undefined) return this.#reply(ctx, w, r, found, [])
    return this.#external(ctx, w, r, zone, found, level)
  }

  /** The chased CNAMEs, then what this server answers for the last target. */
  async #external(
    ctx: RequestContext,
    w: ResponseWriter,
    r: Request,
    zone: Zone,
    found: Answer,
    level: number,
  ): Promise<number> {
    let up: Msg | undefined
    try {
      const opts = { do: r.do, cd: r.cd }
      up = await depth.run(level + 1, () => ctx.resolve(found.external!, r.type, opts))
    } catch {
      up = undefined
    }
    const result = outcome(up)
    const more = (up?.answers ?? []).map((a) => encodeAnswer(a))
    const done: Answer = {
      answer: found.answer,
      authority: zone.authority(result),
      additional: zone.additionalFor(found.answer),
      result,
    }
    return this.#reply(ctx, w, r, done, more)
  }

  #reply(
    ctx: RequestContext,
    w: ResponseWriter,
    r: Request,
    a: Answer,
    more: readonly Uint8Array[],
  ): HandlerResult {
    const empty = a.answer.length === 0 && more.length === 0
    const nothing = a.result === Result.NameError || a.result === Result.Success
    if (empty && nothing && this.#fall.through(r.name)) {
      return nextOrFailure(NAME, this.#next, ctx, w, r)
    }
    let rcode: number = Rcode.NoError
    if (a.result === Result.NameError) rcode = Rcode.NXDomain
    else if (a.result === Result.ServerFailure) {
      if (empty) return Rcode.ServFail
      rcode = Rcode.ServFail // RFC 6604 §3: the target's rcode, with the chain that led there
    }
    const answer = [...encoded(a.answer, r), ...more]
    const out = buildReply(r, rcode, 0, answer, encoded(a.authority, r), encoded(a.additional, r))
    // a referral is not authoritative; an answer with an alias before the cut keeps AA
    if (a.result === Result.Delegation && empty) out[2]! &= ~(Flag.AA >>> 8)
    w.write(out, NAME)
    return Rcode.NoError
  }
}

function encoded(rrs: readonly ZoneRecord[], r: Request): Uint8Array[] {
  return rrs.map((rr) => encodeRr(rr, r))
}

/** CoreDNS doLookup: the lookup's result from the rcode and answer of the server's reply. */
function outcome(m: Msg | undefined): Result {
  if (m === undefined) return Result.ServerFailure
  const rcode = msgRcode(m)
  if (rcode === Rcode.NXDomain) return Result.NameError
  if (rcode === Rcode.ServFail) return Result.ServerFailure
  if (rcode === Rcode.NoError && (m.answers ?? []).length === 0) return Result.NoData
  return Result.Success
}
