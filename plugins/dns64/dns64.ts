// dns64: AAAA records synthesized from A records for IPv6-only clients behind NAT64 (RFC 6147,
// CoreDNS plugin/dns64). An AAAA query from an IPv6 client (any client with allow_ipv4) whose
// answer has no AAAA and is not NXDOMAIN is answered from the A records of the same name, looked
// up through this server's own chains, mapped into the prefix (RFC 6052).

import { WrappedWriter } from '../../src/dns/writer.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import type { Cell } from '../../src/plugin/metrics.ts'
import {
  nextOrFailure,
  PluginError,
  type Handler,
  type HandlerResult,
  type Msg,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Flag, layout, rcodeOf, rrType, u32 } from '../../src/wire/message.ts'
import { Class, Type } from '../../src/plugin/rrtype.ts'

/** RFC 6147 §5.1.7: the TTL cap when the AAAA reply carries no SOA. */
const DEFAULT_SOA_TTL = 600

export interface Dns64Config {
  /** The network's first bytes (16 in all); `prefixLength` is 32, 40, 48, 56, 64 or 96. */
  readonly prefix: readonly number[]
  readonly prefixLength: number
  readonly translateAll: boolean
  readonly allowIPv4: boolean
}

/** RFC 6052 §2.2: the IPv4 address after the prefix, skipping bits 64-71 (the "u" octet). */
export function embed(cfg: Dns64Config, v4: readonly number[]): number[] {
  const v6 = new Array<number>(16).fill(0)
  let i = 0
  for (; i < cfg.prefixLength / 8; i++) v6[i] = cfg.prefix[i]!
  for (const b of v4) {
    if (i === 8) i++
    v6[i++] = b
  }
  return v6
}

function formatV6(bytes: readonly number[]): string {
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
  return groups.join(':')
}

/** Whether an AAAA reply calls for synthesis: not NXDOMAIN, and no AAAA unless translate_all. */
function wantsSynthesis(cfg: Dns64Config, wire: Uint8Array): boolean {
  if (rcodeOf(wire) === Rcode.NXDomain) return false
  if (cfg.translateAll) return true
  let l
  try {
    l = layout(wire)
  } catch {
    return false
  }
  for (let i = 0; i < l.an; i++) if (rrType(wire, l, i) === Type.AAAA) return false
  return true
}

/** The TTL of the (last) SOA in the AAAA reply's authority section, or 600. */
function soaTtl(wire: Uint8Array): number {
  let ttl = DEFAULT_SOA_TTL
  try {
    const l = layout(wire)
    for (let i = l.an; i < l.an + l.ns; i++) {
      if (rrType(wire, l, i) === Type.SOA) ttl = u32(wire, l.ttls[i]!)
    }
  } catch {
    // a reply we cannot walk has no SOA we could use
  }
  return ttl
}

/** The AAAA reply: A records become AAAA, everything else of the A reply passes unchanged. */
function synthesize(cfg: Dns64Config, r: Request, aaaaReply: Uint8Array, a: Msg): Msg {
  const cap = soaTtl(aaaaReply)
  const m = replyMsg(r, 0, (a.flags ?? 0) & (Flag.TC | Flag.RA))
  m.authorities = a.authorities ?? []
  m.additionals = a.additionals ?? []
  m.answers = (a.answers ?? []).map((rr) => {
    if (rr.type !== 'A') return rr
    const ttl = Math.min(rr.ttl ?? 0, cap)
    const data = formatV6(embed(cfg, rr.data.split('.').map(Number)))
    return { name: rr.name, type: 'AAAA', class: rr.class, ttl, data }
  })
  return m
}

/** Holds the reply of the chain below until dns64 knows whether to replace it. */
class HeldWriter extends WrappedWriter {
  wire: Uint8Array | undefined
  heldBy = ''

  override write(wire: Uint8Array, by: string): void {
    if (this.wire !== undefined) return
    this.wire = wire
    this.heldBy = by
  }
}

export class Dns64Handler implements Handler {
  readonly name = 'dns64'
  readonly #cfg: Dns64Config
  readonly #next: Handler | undefined
  readonly #translated: Cell

  constructor(cfg: Dns64Config, next: Handler | undefined, translated: Cell) {
    this.#cfg = cfg
    this.#next = next
    this.#translated = translated
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const cfg = this.#cfg
    const clientOk = cfg.allowIPv4 || w.remote.family === 6
    if (!clientOk || r.type !== Type.AAAA || r.class !== Class.IN) {
      return nextOrFailure(this.name, this.#next, ctx, w, r)
    }
    const held = new HeldWriter(w)
    const rc = nextOrFailure(this.name, this.#next, ctx, held, r)
    return typeof rc === 'number' ? this.#answer(ctx, w, r, held, rc) : this.#answerLater(ctx, w, r, held, rc)
  }

  /** Apart from serveDNS, whose every query would else allocate this closure's context. */
  #answerLater(
    ctx: RequestContext, w: ResponseWriter, r: Request, held: HeldWriter, rc: Promise<number>,
  ): Promise<number> {
    return rc.then((code) => this.#answer(ctx, w, r, held, code))
  }

  #answer(
    ctx: RequestContext,
    w: ResponseWriter,
    r: Request,
    held: HeldWriter,
    rc: number,
  ): HandlerResult {
    const wire = held.wire
    if (wire === undefined) return rc
    if (!wantsSynthesis(this.#cfg, wire)) {
      w.write(wire, held.heldBy)
      return rc
    }
    return this.#synthesize(ctx, w, r, wire)
  }

  async #synthesize(
    ctx: RequestContext,
    w: ResponseWriter,
    r: Request,
    wire: Uint8Array,
  ): Promise<number> {
    let a: Msg
    try {
      a = await ctx.resolve(r.name, Type.A, { do: r.do, cd: r.cd })
    } catch (err) {
      const detail = `A lookup for ${r.name} failed: ${String(err)}`
      throw new PluginError(this.name, detail, Rcode.ServFail, { cause: err })
    }
    this.#translated.value++
    w.writeMsg(synthesize(this.#cfg, r, wire, a), this.name)
    return Rcode.NoError
  }
}
