// log: one line per query (CoreDNS plugin/log). A recording writer notes the reply on its way
// out; lines are formatted and written later, one batch per event-loop turn, so the reply path
// pays only for the recording.

import { logLines } from '../../src/plugin/log.ts'
import { observeNext } from '../../src/plugin/observe.ts'
import { WrappedWriter } from '../../src/dns/writer.ts'
import {
  nextOrFailure,
  type Handler,
  type HandlerResult,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { clientWrote } from '../../src/plugin/rcode.ts'
import { inZone } from '../../src/plugin/zones.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import { render, type Entry, type Format } from './format.ts'
import { classify, typify, type ResponseClass } from '../../src/dns/response.ts'

export interface Rule {
  /** Lowercased FQDN: names at or below it are logged by this rule. */
  readonly scope: string
  readonly format: Format
  /** The response classes to log; undefined logs every query. */
  readonly classes: ReadonlySet<ResponseClass> | undefined
}

/** Wraps the writer for one query and becomes that query's log entry. */
class Recorder extends WrappedWriter implements Entry {
  readonly req: Request
  readonly rule: Rule
  readonly #start = performance.now()
  wire: Uint8Array | undefined = undefined
  size = 0
  writer = ''
  ns = 0

  constructor(w: ResponseWriter, req: Request, rule: Rule) {
    super(w)
    this.req = req
    this.rule = rule
  }

  override write(wire: Uint8Array, by: string): void {
    if (this.wire === undefined) {
      this.wire = wire
      this.size = wire.length
      this.writer = by
    }
    this.inner.write(wire, by)
  }

  /**
   * The chain returned `rcode`: if nothing was written, log the reply the server will write, as
   * CoreDNS 1.14.7 sizes it (msg.SetRcode: header and question, before the server adds the
   * client's OPT; dig sees 48 bytes, both log 25).
   */
  done(rcode: number): void {
    this.ns = Math.round((performance.now() - this.#start) * 1e6)
    if (this.wire === undefined && !clientWrote(rcode)) {
      this.wire = rcodeReply(this.req, rcode)
      this.size = this.wire.length
    }
    enqueue(this)
  }
}

const pending: Recorder[] = []
let scheduled = false

function enqueue(rec: Recorder): void {
  pending.push(rec)
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
}

function wanted(rec: Recorder): boolean {
  const classes = rec.rule.classes
  return classes === undefined || classes.has(classify(typify(rec.wire, Date.now() / 1000)))
}

/** Format and write every recorded query (runs by itself once per event-loop turn). */
export function flush(): void {
  scheduled = false
  if (pending.length === 0) return
  const lines: string[] = []
  for (const rec of pending) if (wanted(rec)) lines.push(render(rec.rule.format, rec))
  pending.length = 0
  logLines('INFO', lines)
}

/** The first rule whose scope holds `name` (CoreDNS plugin.Name.Matches). */
function matchRule(rules: readonly Rule[], name: string): Rule | undefined {
  for (const rule of rules) if (inZone(rule.scope, name)) return rule
  return undefined
}

export class LogHandler implements Handler {
  readonly name = 'log'
  readonly #rules: readonly Rule[]
  readonly #next: Handler | undefined

  constructor(rules: readonly Rule[], next: Handler | undefined) {
    this.#rules = rules
    this.#next = next
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const rule = matchRule(this.#rules, r.name)
    if (rule === undefined) return nextOrFailure('log', this.#next, ctx, w, r)
    const rec = new Recorder(w, r, rule)
    return observeNext('log', this.#next, ctx, rec, r, rec)
  }
}
