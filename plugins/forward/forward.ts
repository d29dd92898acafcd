// The forward handler (CoreDNS plugin/forward/forward.go): names at or below FROM and not in
// `except` go upstream, everything else to the next plugin. One Forward holds a stanza's
// upstreams and state; a ForwardHandler binds it into one chain. Upstreams given by hostname are
// resolved by prepare(), before the configuration serves (a failure fails its start or reload).

import { shedCounter, type Cell } from '../../src/plugin/metrics.ts'
import type { Handler, HandlerResult, Request, RequestContext, ResponseWriter }
  from '../../src/plugin/plugin.ts'
import { nextOrFailure, PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { inZone } from '../../src/plugin/zones.ts'
import type { ForwardConfig, Upstream } from './config.ts'
import { ParallelExchange, SequentialExchange } from './exchange.ts'
import { FairShare, type Source, type Ticket } from './fair.ts'
import { healthcheckBroken, maxConcurrentRejects } from './metrics.ts'
import { policy, type Policy } from './policy.ts'
import { Proxy } from './proxy.ts'
import { resolveTos } from './resolve.ts'

/**
 * In-flight ceiling without max_concurrent. CoreDNS has none (each query is a goroutine and a
 * socket until its 5 s deadline); here each is a UDP socket (a file descriptor) and ~2 KB, so
 * 10,000 is ~20 MB and well under the fd limit, yet 2,000 never-answered queries a second.
 */
const DEFAULT_MAX_CONCURRENT = 10_000

export class Forward {
  readonly cfg: ForwardConfig
  proxies: readonly Proxy[] = []
  policy: Policy<Proxy> = () => this.proxies
  /**
   * Set until prepare() resolved the hostname TOs; thrown to a query only where an instance
   * serves unprepared (the Runner always prepares), so that it gets SERVFAIL saying why.
   */
  unresolved: PluginError | undefined
  /** Queries in flight by client address, within max_concurrent (or the default ceiling). */
  readonly fair: FairShare
  readonly broken: Cell = healthcheckBroken.child({})
  readonly rejects: Cell = maxConcurrentRejects.child({})
  /** Thrown for every rejected query, so overload costs no allocation. */
  readonly #limitError: PluginError
  /** Given to a query preempted by the fair share (fair.ts): REFUSED too, but not an overflow. */
  readonly #preemptError: PluginError

  constructor(cfg: ForwardConfig) {
    this.cfg = cfg
    if (cfg.to.every((t) => !('hostname' in t))) this.#use(cfg.to as Upstream[])
    else this.unresolved = new PluginError('forward', 'upstream hostnames not resolved yet')
    const limit = cfg.maxConcurrent > 0 ? cfg.maxConcurrent : DEFAULT_MAX_CONCURRENT
    this.fair = new FairShare(limit, cfg.readTimeoutMs, shedCounter('forward_fair_share'))
    const traces = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    const message = `concurrent queries exceeded maximum ${limit}`
    this.#limitError = new PluginError('forward', message, Rcode.Refused)
    const preempted = `query preempted: another client needed its share of the maximum ${limit}`
    this.#preemptError = new PluginError('forward', preempted, Rcode.Refused)
    Error.stackTraceLimit = traces
  }

  /** At or below FROM, and FROM itself or outside every `except` zone. */
  matches(name: string): boolean {
    const { from, except } = this.cfg
    if (!inZone(from, name)) return false
    if (name === from) return true
    for (const z of except) if (inZone(z, name)) return false
    return true
  }

  /** max_concurrent: a slot for a query from client `address` (fair.ts), or REFUSED. */
  admit(address: string): Source {
    const s = this.fair.take(address, this.#preemptError)
    if (s !== undefined) return s
    this.rejects.value++
    throw this.#limitError
  }

  /** The query of `t` is over. */
  release(t: Ticket): void {
    this.fair.release(t)
  }

  #use(upstreams: readonly Upstream[]): void {
    this.proxies = upstreams.map((u) => new Proxy(u, this.cfg))
    this.policy = policy(this.cfg.policy, this.proxies)
  }

  /** Resolves hostname TOs; rejects when one fails, with CoreDNS setup's message. */
  async prepare(): Promise<void> {
    if (this.unresolved === undefined) return
    try {
      this.#use(await resolveTos(this.cfg.to, this.cfg.resolvers))
    } catch (err) {
      throw new PluginError('forward', (err as Error).message, Rcode.ServFail, { cause: err })
    }
    this.unresolved = undefined
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
    if (this.fwd.unresolved !== undefined) throw this.fwd.unresolved
    const source = this.fwd.admit(w.remote.address)
    const ex = this.fwd.cfg.policy === 'parallel'
      ? new ParallelExchange(this, ctx, w, r)
      : new SequentialExchange(this, ctx, w, r)
    this.fwd.fair.attach(ex, source)
    return ex.start()
  }
}
