// The response side: rules that undo a request rewrite in the reply (owner names, record values)
// or change the reply (TTLs, rcode, CNAME targets), and the writer that applies them in reverse
// order and puts the client's own question back, so the client never sees a rewrite.

import type { RE2JS } from 're2js'
import { encodeMsg } from '../../src/plugin/msg.ts'
import { WrappedWriter } from '../../src/dns/writer.ts'
import type { Msg, Request, RequestContext, ResponseWriter } from '../../src/plugin/plugin.ts'
import { expandGroups, memoized, submatches } from '../../src/plugin/regex.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { HEADER, layout, rcodeOf, setU32, u16, u32 } from '../../src/wire/message.ts'
import { lowerName, skipName } from '../../src/wire/name.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import {
  decodeReply,
  encodeReply,
  recordValue,
  setRecordValue,
  type WireRecord,
  type WireReply,
} from './wire.ts'
import { Type } from '../../src/plugin/rrtype.ts'

/** Maps a name to another; returns the name itself when it does not apply. */
export interface StringRewriter {
  rewrite(s: string): string
}

/** `answer name|value FROM TO`: a regex with `{N}` groups in the replacement. */
export class RegexRewriter implements StringRewriter {
  readonly rewrite: (s: string) => string

  constructor(re: RE2JS, to: string) {
    this.rewrite = memoized((s) => {
      const groups = submatches(re, s)
      return groups === undefined ? s : expandGroups(to, groups)
    })
  }
}

/** `answer auto`: the rewritten name, and names below it, back to the name the client asked. */
export class RemapRewriter implements StringRewriter {
  readonly #from: string
  readonly #to: string

  constructor(from: string, to: string) {
    this.#from = from
    this.#to = to
  }

  rewrite(s: string): string {
    const lower = lowerName(s)
    if (lower === this.#from) return this.#to
    if (lower.endsWith(this.#from) && lower[lower.length - this.#from.length - 1] === '.') {
      return s.slice(0, s.length - this.#from.length) + this.#to
    }
    return s
  }
}

/** `answer auto` of a suffix rule: the suffix exchanged back. */
export class SuffixRewriter implements StringRewriter {
  readonly #suffix: string
  readonly #to: string

  constructor(suffix: string, to: string) {
    this.#suffix = suffix
    this.#to = to
  }

  rewrite(s: string): string {
    if (!lowerName(s).endsWith(this.#suffix)) return s
    return s.slice(0, s.length - this.#suffix.length) + this.#to
  }
}

/** What a matched request rule asks of the reply. */
export type ResponseRule =
  | { readonly kind: 'name'; readonly rewriter: StringRewriter }
  | { readonly kind: 'value'; readonly rewriter: StringRewriter }
  | { readonly kind: 'ttl'; readonly min: number; readonly max: number }
  | { readonly kind: 'rcode'; readonly from: number; readonly to: number }
  | { readonly kind: 'cname'; readonly target: (cname: string) => string | undefined }

function clampTtl(rules: readonly ResponseRule[], ttl: number): number {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!
    if (rule.kind !== 'ttl') continue
    if (ttl < rule.min) ttl = rule.min
    else if (ttl > rule.max) ttl = rule.max
  }
  return ttl
}

function rewriteRcode(rules: readonly ResponseRule[], header: Uint8Array): void {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!
    if (rule.kind === 'rcode' && rcodeOf(header) === rule.from) {
      header[3] = (header[3]! & 0xf0) | rule.to
    }
  }
}

function rewriteRecord(rules: readonly ResponseRule[], rr: WireRecord): void {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!
    if (rule.kind === 'name') rr.name = rule.rewriter.rewrite(rr.name)
    else if (rule.kind === 'value') {
      const v = recordValue(rr)
      if (v !== undefined) setRecordValue(rr, rule.rewriter.rewrite(v))
    }
  }
  rr.ttl = clampTtl(rules, rr.ttl)
}

/**
 * CNAME target rewrites (rewrite cname): the chain is cut at the first CNAME whose target
 * matches, that target replaced, and the answer completed by looking the new target up.
 */
async function followCnames(
  rules: readonly ResponseRule[],
  reply: WireReply,
  ctx: RequestContext,
  qtype: number,
): Promise<void> {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!
    if (rule.kind !== 'cname') continue
    let target: string | undefined
    const at = reply.answer.findIndex(
      (rr) => rr.type === Type.CNAME && (target = rule.target(rr.rdata[0] as string)) !== undefined,
    )
    if (target === undefined) continue
    reply.answer[at]!.rdata[0] = target
    const found: Msg = await ctx.resolve(target, qtype)
    reply.answer = [...reply.answer.slice(0, at + 1), ...decodeReply(encodeMsg(found)).answer]
  }
}

export interface RevertPlan {
  readonly rules: readonly ResponseRule[]
  /** The question name changed, or names in records may: the reply is rebuilt record by record. */
  readonly rebuild: boolean
  /** A rule gave an EDNS-less query an OPT: the reply's OPT goes. */
  readonly dropOpt: boolean
  readonly cname: boolean
  readonly rcode: boolean
}

export function revertPlan(
  rules: readonly ResponseRule[],
  nameChanged: boolean,
  dropOpt: boolean,
): RevertPlan {
  const has = (k: ResponseRule['kind']) => rules.some((rule) => rule.kind === k)
  return {
    rules,
    rebuild: nameChanged || dropOpt || has('name') || has('value') || has('cname'),
    dropOpt,
    cname: has('cname'),
    rcode: has('rcode'),
  }
}

/** The client's question back in place, and the rules applied; throws on a malformed reply. */
function revertQuick(plan: RevertPlan, r: Request, wire: Uint8Array): Uint8Array | undefined {
  const out = wire.slice()
  if (u16(out, 4) !== 1 || skipName(out, HEADER) + 4 !== r.questionEnd) return undefined
  out.set(r.wire.subarray(HEADER, r.questionEnd), HEADER)
  if (plan.rules.some((rule) => rule.kind === 'ttl')) {
    const l = layout(out)
    for (let i = 0; i < l.ttls.length; i++) {
      if (i !== l.opt) setU32(out, l.ttls[i]!, clampTtl(plan.rules, u32(out, l.ttls[i]!)))
    }
  }
  rewriteRcode(plan.rules, out)
  return out
}

function revertDecoded(plan: RevertPlan, r: Request, reply: WireReply): Uint8Array {
  for (const rr of reply.answer) rewriteRecord(plan.rules, rr)
  for (const rr of reply.authority) rewriteRecord(plan.rules, rr)
  if (plan.dropOpt) reply.additional = reply.additional.filter((rr) => rr.type !== Type.OPT)
  for (const rr of reply.additional) if (rr.type !== Type.OPT) rewriteRecord(plan.rules, rr)
  rewriteRcode(plan.rules, reply.header)
  return encodeReply(reply, r.qname, r.type, r.class)
}

/**
 * Writes replies with the rewrite undone. With CNAME rules the reply is held until release():
 * completing it needs a lookup, which cannot happen inside write().
 */
export class Reverter extends WrappedWriter {
  readonly #r: Request
  readonly plan: RevertPlan
  written = false
  #held: { wire: Uint8Array; by: string } | undefined

  constructor(w: ResponseWriter, original: Request, plan: RevertPlan) {
    super(w)
    this.#r = original
    this.plan = plan
  }

  override write(wire: Uint8Array, by: string): void {
    if (this.written) return
    this.written = true
    if (this.plan.cname) this.#held = { wire, by }
    else this.inner.write(this.#revert(wire), by)
  }

  /** Sends the held reply, its CNAMEs followed first when `ctx` is given. */
  async release(ctx: RequestContext | undefined): Promise<void> {
    const held = this.#held
    if (held === undefined) return
    this.#held = undefined
    let out: Uint8Array
    try {
      const reply = decodeReply(held.wire)
      if (ctx !== undefined) await followCnames(this.plan.rules, reply, ctx, this.#r.type)
      out = revertDecoded(this.plan, this.#r, reply)
    } catch {
      out = rcodeReply(this.#r, Rcode.ServFail)
    }
    this.inner.write(out, held.by)
  }

  #revert(wire: Uint8Array): Uint8Array {
    try {
      const quick = this.plan.rebuild ? undefined : revertQuick(this.plan, this.#r, wire)
      return quick ?? revertDecoded(this.plan, this.#r, decodeReply(wire))
    } catch {
      // A reply we cannot take apart, or a rewrite that produced an invalid name.
      return rcodeReply(this.#r, Rcode.ServFail)
    }
  }
}
