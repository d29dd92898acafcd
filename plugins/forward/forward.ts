// The forward handler (CoreDNS plugin/forward/forward.go): names at or below FROM and not in
// `except` go upstream, everything else to the next plugin. One Forward holds a stanza's
// upstreams and state; a ForwardHandler binds it into one chain.

import type { Cell } from '../../src/plugin/metrics.ts'
import type { Handler, HandlerResult, Request, RequestContext, ResponseWriter }
  from '../../src/plugin/plugin.ts'
import { nextOrFailure, PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { inZone } from '../../src/plugin/zones.ts'
import type { ForwardConfig } from './config.ts'
import { ParallelExchange, SequentialExchange } from './exchange.ts'
import { healthcheckBroken, maxConcurrentRejects } from './metrics.ts'
import { policy, type Policy } from './policy.ts'
import { Proxy } from './proxy.ts'

export class Forward {
  readonly cfg: ForwardConfig
  readonly proxies: readonly Proxy[]
  readonly policy: Policy<Proxy>
  /** Queries in flight (max_concurrent). */
  inflight = 0
  readonly broken: Cell = healthcheckBroken.child({})
  readonly rejects: Cell = maxConcurrentRejects.child({})
  /** Thrown for every rejected query, so overload costs no allocation. */
  readonly #limitError: PluginError

  constructor(cfg: ForwardConfig) {
    this.cfg = cfg
    this.proxies = cfg.upstreams.map((u) => new Proxy(u, cfg))
    this.policy = policy(cfg.policy, this.proxies)
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    const message = `concurrent queries exceeded maximum ${cfg.maxConcurrent}`
    this.#limitError = new PluginError('forward', message, Rcode.Refused)
    Error.stackTraceLimit = limit
  }

  /** At or below FROM, and FROM itself or outside every `except` zone. */
  matches(name: string): boolean {
    const { from, except } = this.cfg
    if (!inZone(from, name)) return false
    if (name === from) return true
    for (const z of except) if (inZone(z, name)) return false
    return true
  }

  /** max_concurrent: take a slot or throw REFUSED. */
  admit(): void {
    const max = this.cfg.maxConcurrent
    if (max > 0 && this.inflight >= max) {
      this.rejects.value++
      throw this.#limitError
    }
    this.inflight++
  }

  start(): void {
    for (const p of this.proxies) p.start()
  }

  stop(): void {
    for (const p of this.proxies) p.stop()
  }
}

export class ForwardHandler implements Handler {
  readonly name = 'forward'
  readonly fwd: Forward
  readonly next: Handler | undefined
  /** `next RCODE` hands over only to another forward stanza (CoreDNS). */
  readonly nextIsForward: boolean

  constructor(fwd: Forward, next: Handler | undefined, nextIsForward: boolean) {
    this.fwd = fwd
    this.next = next
    this.nextIsForward = nextIsForward
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    if (!this.fwd.matches(r.name)) return nextOrFailure(this.name, this.next, ctx, w, r)
    this.fwd.admit()
    return this.fwd.cfg.policy === 'parallel'
      ? new ParallelExchange(this, ctx, w, r).start()
      : new SequentialExchange(this, ctx, w, r).start()
  }
}
