// rewrite: the request rules in order (up to the first `stop` rule that applies), the query
// passed on rewritten, and the reply turned back by the response rules in reverse order, with
// the client's own question restored (CoreDNS plugin/rewrite rewrite.go, reverter.go).
// A query no rule applies to goes on untouched: same request, same writer.

import {
  nextOrFailure,
  PluginError,
  type Handler,
  type HandlerResult,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { clientWrote, Rcode } from '../../src/plugin/rcode.ts'
import { rcodeReply } from '../../src/wire/reply.ts'
import { Draft } from './draft.ts'
import { revertPlan, Reverter, type ResponseRule } from './response.ts'
import type { Rule } from './rules.ts'

const NAME = 'rewrite'

export class RewriteHandler implements Handler {
  readonly name = NAME
  readonly #rules: readonly Rule[]
  readonly #next: Handler | undefined

  constructor(rules: readonly Rule[], next: Handler | undefined) {
    this.#rules = rules
    this.#next = next
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const d = new Draft(r, w)
    let response: ResponseRule[] | undefined
    for (const rule of this.#rules) {
      const got = rule.apply(d)
      if (got === undefined) continue
      if (d.invalid !== undefined) {
        throw new PluginError(NAME, `invalid name after rewrite: ${d.invalid}`)
      }
      if (got.length > 0) (response ??= []).push(...got)
      if (rule.mode === 'stop') break
    }
    if (!d.changed && response === undefined) return nextOrFailure(NAME, this.#next, ctx, w, r)
    const rw = new Reverter(w, r, revertPlan(response ?? [], d.nameChanged, d.optAdded))
    const query = d.changed ? d.request() : r
    if (!rw.plan.cname && !rw.plan.rcode) return nextOrFailure(NAME, this.#next, ctx, rw, query)
    let rc: HandlerResult
    try {
      rc = nextOrFailure(NAME, this.#next, ctx, rw, query)
    } catch (err) {
      return this.#failed(rw, r, err)
    }
    if (typeof rc === 'number') return this.#done(ctx, rw, r, rc)
    return this.#later(ctx, rw, r, rc)
  }

  /** Apart from serveDNS, whose every query would else allocate these closures' context. */
  #later(ctx: RequestContext, rw: Reverter, r: Request, rc: Promise<number>): Promise<number> {
    return rc.then(
      (code) => this.#done(ctx, rw, r, code),
      (err: unknown) => this.#failed(rw, r, err),
    )
  }

  /**
   * A failure the chain below did not write goes out through the reverter, so rcode rules see
   * it (CoreDNS writes it there too); a held reply is completed and sent.
   */
  #done(ctx: RequestContext, rw: Reverter, r: Request, rc: number): HandlerResult {
    if (!clientWrote(rc) && !rw.written && rw.plan.rcode) {
      rw.write(rcodeReply(r, rc), NAME)
      rc = Rcode.NoError
    }
    return rw.plan.cname ? rw.release(ctx).then(() => rc) : rc
  }

  /** A returned error: its rcode written through the reverter, then passed on to be logged. */
  #failed(rw: Reverter, r: Request, err: unknown): never | Promise<never> {
    if (!(err instanceof PluginError) || rw.written || !rw.plan.rcode) throw err
    rw.write(rcodeReply(r, err.rcode), NAME)
    if (!rw.plan.cname) throw err
    return rw.release(undefined).then(() => {
      throw err
    })
  }
}
