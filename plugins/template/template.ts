// The template handler (CoreDNS plugin/template/template.go): templates are tried in order; the
// first whose zone, class, type and one of its regexes fit the query answers it, authoritatively,
// from its Go templates. A template whose zone fits but whose regexes do not answers SERVFAIL
// unless it falls through. A CNAME answered to an A or AAAA query is followed through this
// same server and the target's records are appended.

import { AsyncLocalStorage } from 'node:async_hooks'
import dnsPacket, { type Answer } from 'dns-packet'
import type { RE2JS } from 're2js'
import type { Cell } from '../../src/plugin/metrics.ts'
import {
  type ChainInfo,
  type Handler,
  type HandlerResult,
  nextOrFailure,
  PluginError,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { memoized } from '../../src/plugin/regex.ts'
import { Class, classMnemonic, Type, typeMnemonic } from '../../src/plugin/rrtype.ts'
import { type Fall, matchZone } from '../../src/plugin/zones.ts'
import { Flag } from '../../src/wire/message.ts'
import { TemplateData } from './data.ts'
import { type GoTemplate, TemplateExecError } from './gotemplate/index.ts'
import { matches, rrFailures, templateFailures } from './metrics.ts'
import { buildReply, encodeRr } from '../../src/dns/answer.ts'
import { parseRr, RrError, type Rr } from '../../src/dns/rr.ts'

const NAME = 'template'
/** CoreDNS stops a query re-entering its server after 10 nested lookups; CNAME chains here too. */
const MAX_DEPTH = 10
const depth = new AsyncLocalStorage<number>()
/** dns-packet's record encoder: exported at run time, missing from its type declarations. */
const encodeAnswer = (dnsPacket as unknown as AnswerCodec).answer.encode
interface AnswerCodec {
  readonly answer: { encode(a: Answer): Uint8Array }
}

export type Section = 'answer' | 'authority' | 'additional'

export interface RrTemplate {
  readonly section: Section
  readonly template: GoTemplate
}

export interface Rule {
  readonly zones: readonly string[]
  readonly qclass: number
  readonly qtype: number
  readonly regexes: readonly RE2JS[]
  /** Answer, additional, then authority templates (CoreDNS's order), each in Corefile order. */
  readonly rrs: readonly RrTemplate[]
  readonly rcode: number
  /** An OPT record carrying the Extended DNS Error (RFC 8914), when `ederror` is set. */
  readonly ede: Uint8Array | undefined
  readonly fall: Fall
}

export interface TemplateConfig {
  /** Every template's zones: queries outside them go straight to the next plugin. */
  readonly zones: readonly string[]
  readonly rules: readonly Rule[]
}

export class TemplateHandler implements Handler {
  readonly name = NAME
  readonly #cfg: TemplateConfig
  readonly #next: Handler | undefined
  readonly #server: string
  /** matches_total cells by zone, class and type, bound on first use. */
  readonly #matched = new Map<string, Cell>()
  /**
   * By rule, the first of its regexes matching a name, and the record a rendered text reads as:
   * both pure, both remembered for the names seen last (bench: RE2JS matching and record parsing
   * were more than half of a template answer's cost).
   */
  readonly #firstMatch: readonly ((name: string) => RE2JS | undefined)[]
  readonly #parseRr = memoized(parseRr)

  constructor(cfg: TemplateConfig, next: Handler | undefined, chain: ChainInfo) {
    this.#cfg = cfg
    this.#next = next
    this.#server = chain.server
    this.#firstMatch = cfg.rules.map((rule) => memoized((name) => firstMatch(rule.regexes, name)))
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    if (matchZone(this.#cfg.zones, r.name) !== undefined) {
      const rules = this.#cfg.rules
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!
        const zone = matchZone(rule.zones, r.name)
        if (zone === undefined) continue
        if (rule.qclass !== Class.ANY && r.class !== Class.ANY && r.class !== rule.qclass) continue
        if (rule.qtype !== Type.ANY && r.type !== Type.ANY && r.type !== rule.qtype) continue
        const re = this.#firstMatch[i]!(r.name)
        if (re === undefined) {
          if (rule.fall.through(r.name)) continue
          return Rcode.ServFail
        }
        const data = new TemplateData(
          zone,
          re,
          r,
          classMnemonic(r.class !== Class.ANY ? r.class : rule.qclass),
          typeMnemonic(r.type !== Type.ANY ? r.type : rule.qtype),
          w.remote.address,
        )
        this.#matchCell(data).value++
        if (rule.rcode === Rcode.ServFail) return Rcode.ServFail
        return this.#answer(ctx, w, r, rule, data)
      }
    }
    return nextOrFailure(NAME, this.#next, ctx, w, r)
  }

  #answer(
    ctx: RequestContext,
    w: ResponseWriter,
    r: Request,
    rule: Rule,
    data: TemplateData,
  ): HandlerResult {
    const answer: Rr[] = []
    const authority: Uint8Array[] = []
    const additional: Uint8Array[] = []
    let follow = false
    for (const t of rule.rrs) {
      const rr = this.#render(t, data)
      if (t.section === 'answer') {
        answer.push(rr)
        follow ||= rr.type === Type.CNAME && (r.type === Type.A || r.type === Type.AAAA)
      } else if (t.section === 'authority') authority.push(encodeRr(rr, r))
      else additional.push(encodeRr(rr, r))
    }
    if (rule.ede) additional.push(rule.ede)
    if (follow) return this.#followCnames(ctx, w, r, rule, answer, authority, additional)
    const records: Uint8Array[] = []
    for (const rr of answer) records.push(encodeRr(rr, r))
    w.write(buildReply(r, rule.rcode, 0, records, authority, additional), NAME)
    return rule.rcode
  }

  /** Each CNAME answer is followed by what this server answers for its target (CoreDNS upstream). */
  async #followCnames(
    ctx: RequestContext,
    w: ResponseWriter,
    r: Request,
    rule: Rule,
    answer: readonly Rr[],
    authority: readonly Uint8Array[],
    additional: readonly Uint8Array[],
  ): Promise<number> {
    const out: Uint8Array[] = []
    let flags = 0
    const level = depth.getStore() ?? 0
    for (const rr of answer) {
      out.push(encodeRr(rr, r))
      if (rr.target === undefined || level >= MAX_DEPTH) continue
      try {
        const up = await depth.run(level + 1, () =>
          ctx.resolve(rr.target!, r.type, { do: r.do, cd: r.cd }),
        )
        if (((up.flags ?? 0) & Flag.TC) !== 0) flags |= Flag.TC
        for (const a of up.answers ?? []) out.push(encodeAnswer(a))
      } catch {
        // as CoreDNS: a failed lookup leaves the CNAME alone
      }
    }
    w.write(buildReply(r, rule.rcode, flags, out, authority, additional), NAME)
    return rule.rcode
  }

  /** Runs one template and reads its output as a record; counts and reports either failure. */
  #render(t: RrTemplate, data: TemplateData): Rr {
    let text: string
    try {
      text = t.template.execute(data)
    } catch (err) {
      if (!(err instanceof TemplateExecError)) throw err
      this.#failure(templateFailures, t, data).value++
      throw new PluginError(NAME, err.message)
    }
    try {
      return this.#parseRr(text)
    } catch (err) {
      if (!(err instanceof RrError)) throw err
      this.#failure(rrFailures, t, data).value++
      throw new PluginError(NAME, `${err.message} in ${JSON.stringify(text)}`)
    }
  }

  #matchCell(data: TemplateData): Cell {
    const key = `${data.Zone} ${data.Class} ${data.Type}`
    let cell = this.#matched.get(key)
    if (cell === undefined) {
      cell = matches.child({
        server: this.#server,
        zone: data.Zone,
        view: '',
        class: data.Class,
        type: data.Type,
      })
      this.#matched.set(key, cell)
    }
    return cell
  }

  #failure(family: typeof templateFailures, t: RrTemplate, data: TemplateData): Cell {
    return family.child({
      server: this.#server,
      zone: data.Zone,
      view: '',
      class: data.Class,
      type: data.Type,
      section: t.section,
      template: t.template.source,
    })
  }
}

/** The first regex that matches `name` (Go's MatchString: anywhere in it). */
function firstMatch(regexes: readonly RE2JS[], name: string): RE2JS | undefined {
  for (const re of regexes) if (re.test(name)) return re
  return undefined
}
