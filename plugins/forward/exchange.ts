// One client query through a forward stanza. A Leg is one upstream's part: it sends, observes
// the upstream's duration and rcode, retries over TCP when a UDP reply is truncated (prefer_udp)
// and once on a fresh connection when a reused one was closed under it. The exchange decides:
//   sequential (random, round_robin, sequential): CoreDNS's loop - upstreams in policy order,
//     down ones skipped, the next one tried after an error or a `failover` rcode, until the
//     5 s deadline or max_connect_attempts failures;
//   parallel (dnsmasq --all-servers): every healthy upstream at once; the first NOERROR or
//     NXDOMAIN reply wins; another reply (SERVFAIL, REFUSED, a failover rcode) is used only
//     when every upstream has failed; the others' late replies are still counted, then dropped.

import type { Cell } from '../../src/plugin/metrics.ts'
import type { Handler, Request, RequestContext, ResponseWriter } from '../../src/plugin/plugin.ts'
import { publish } from '../../src/plugin/metadata.ts'
import { PluginError } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { shedCounter } from '../../src/plugin/metrics.ts'
import { Flag, u16 } from '../../src/wire/message.ts'
import { Invalid, lastCheck, truncatedReply, upstreamReply } from '../../src/wire/validate.ts'
import { DEFAULTS, type ForwardConfig } from './config.ts'
import { Ticket } from './fair.ts'
import { pickRandom, type Policy } from './policy.ts'
import type { Proxy } from './proxy.ts'
import { quietError, type Waiter } from './transport.ts'

const NO_HEALTHY = new Error('no healthy proxies')
const LAST_ATTEMPT_MS = 5
/** CoreDNS defaultConnectAttemptsPerUpstream. */
const ATTEMPTS_PER_UPSTREAM = 2
/** Upstream replies refused, or repaired, by upstreamReply. */
const badReplies = shedCounter('upstream_reply')

/** What an exchange uses of its forward stanza (forward.ts's Forward, which starts exchanges). */
interface Stanza {
  readonly cfg: ForwardConfig
  readonly proxies: readonly Proxy[]
  readonly policy: Policy<Proxy>
  readonly broken: Cell
  release(t: Ticket): void
}

/** The handler an exchange serves (forward.ts's ForwardHandler). */
interface Owner {
  readonly fwd: Stanza
  readonly next: Handler | undefined
  readonly nextIsForward: boolean
}

abstract class Exchange extends Ticket {
  readonly h: Owner
  readonly ctx: RequestContext
  readonly w: ResponseWriter
  readonly r: Request
  readonly deadline: number
  /** Upstream transport: force_tcp, else prefer_udp, else the client's. */
  readonly proto: 'udp' | 'tcp'
  done = false
  readonly #result = Promise.withResolvers<number>()

  constructor(h: Owner, ctx: RequestContext, w: ResponseWriter, r: Request) {
    super()
    this.h = h
    this.ctx = ctx
    this.w = w
    this.r = r
    // cancel's deadline stops new tries too (CoreDNS's loop checks ctx.Err() beside its own)
    this.deadline = Math.min(Date.now() + DEFAULTS.deadlineMs, r.deadline)
    const cfg = h.fwd.cfg
    this.proto = cfg.forceTcp ? 'tcp' : cfg.preferUdp ? 'udp' : r.proto
  }

  get result(): Promise<number> {
    return this.#result.promise
  }

  /**
   * Read timeout for the next send: read_timeout in full, even past the deadline, which only
   * stops new tries (CoreDNS: two silent upstreams answer SERVFAIL after 3 x 2 s, not 5 s).
   */
  timeoutMs(): number {
    return this.h.fwd.cfg.readTimeoutMs
  }

  abstract legReply(leg: Leg, reply: Uint8Array): void
  abstract legError(leg: Leg, err: Error): void

  /** The final reply: to the next forward stanza when its rcode says so, else to the client. */
  deliver(reply: Uint8Array): void {
    this.#end()
    const cfg = this.h.fwd.cfg
    const rcode = reply[3]! & 0xf
    const nodata = rcode === Rcode.NoError && u16(reply, 6) === 0
    const next = this.h.nextIsForward && (cfg.next.includes(rcode) || (cfg.nextOnNodata && nodata))
    // this runs from a socket event: a throw must become the query's error, not the process's
    try {
      if (next) return this.#result.resolve(this.h.next!.serveDNS(this.ctx, this.w, this.r))
      reply[0] = this.r.id >>> 8
      reply[1] = this.r.id & 0xff
      this.w.write(reply, 'forward')
      this.#result.resolve(Rcode.NoError)
    } catch (err) {
      this.#result.reject(err)
    }
  }

  fail(err: Error): void {
    this.#end()
    this.#result.reject(new PluginError('forward', err.message, Rcode.ServFail, { cause: err }))
  }

  #end(): void {
    this.done = true
    this.h.fwd.release(this)
  }

  /** Another source needed the slot (fair.ts): the client gets `err` now, late replies drop. */
  preempt(err: Error): void {
    this.done = true
    this.#result.reject(err)
  }

  /** A failed upstream gets probed until it answers (unless max_fails is 0). */
  suspect(p: Proxy): void {
    if (this.h.fwd.cfg.maxFails !== 0) p.health.kick()
  }
}

class Leg implements Waiter {
  readonly ex: Exchange
  readonly proxy: Proxy
  proto: 'udp' | 'tcp'
  #start = 0
  #retried = false

  constructor(ex: Exchange, proxy: Proxy) {
    this.ex = ex
    this.proxy = proxy
    this.proto = ex.proto
  }

  get query(): Uint8Array {
    return this.ex.r.wire
  }

  get questionEnd(): number {
    return this.ex.r.questionEnd
  }

  send(fresh = false): void {
    this.#start = performance.now()
    // CoreDNS sets it before each try: the last upstream tried (metadata plugin only)
    publish(this.ex.r, 'forward/upstream', this.proxy.to)
    try {
      this.proxy.send(this, this.proto, this.ex.timeoutMs(), fresh)
    } catch (err) {
      // reported a turn later like any network error, so a retry loop never blocks the event loop
      setImmediate(() => this.ex.legError(this, err as Error))
    }
  }

  onReply(raw: Uint8Array): void {
    // validated before anything reads past the question: what fails is an error of this
    // upstream (the next one is tried, as CoreDNS does when miekg cannot unpack a reply)
    let reply = upstreamReply(raw, this.ex.r.edns !== undefined)
    if (reply instanceof Invalid) {
      badReplies.value++
      if (!reply.short || this.proto !== 'udp') {
        this.ex.legError(this, quietError(`dns: ${reply.reason} (reply from ${this.proxy.to})`))
        return
      }
      reply = truncatedReply(raw, this.questionEnd)
    } else if (lastCheck.repaired) {
      badReplies.value++
    }
    this.proxy.observe(reply[3]! & 0xf, (performance.now() - this.#start) / 1000)
    const truncated = (u16(reply, 2) & Flag.TC) !== 0
    const viaTcp = this.ex.h.fwd.cfg.preferUdp && this.proto === 'udp' &&
      this.proxy.up.transport === 'dns'
    if (truncated && viaTcp && !this.ex.done) {
      this.proto = 'tcp'
      this.send()
      return
    }
    this.ex.legReply(this, reply)
  }

  onError(err: Error, stale: boolean): void {
    // a stale pooled connection gets one retry, unless the query is over (answered, preempted)
    if (stale && !this.#retried && !this.ex.done) {
      this.#retried = true
      this.send(true)
      return
    }
    this.ex.legError(this, err)
  }
}

export class SequentialExchange extends Exchange {
  readonly #list: readonly Proxy[]
  #i = 0
  /** Down upstreams skipped (and failover replies seen) in this pass, as CoreDNS counts. */
  #fails = 0
  #attempts = 0
  #failovers = 0
  #lastErr: Error | undefined

  constructor(h: Owner, ctx: RequestContext, w: ResponseWriter, r: Request) {
    super(h, ctx, w, r)
    this.#list = h.fwd.policy()
  }

  start(): Promise<number> {
    this.#next()
    return this.result
  }

  #next(): void {
    const fwd = this.h.fwd
    const { maxFails, failfastAllUnhealthy } = fwd.cfg
    const n = fwd.proxies.length
    for (;;) {
      const capped = this.#attempts >= this.#maxAttempts()
      // timers may fire a millisecond before Date.now() reaches the deadline: no attempt is
      // started in the last few milliseconds, where no answer could come back in time anyway
      const late = this.deadline - Date.now() < LAST_ATTEMPT_MS
      if (capped || late) return this.fail(this.#lastErr ?? NO_HEALTHY)
      if (this.#i >= this.#list.length) {
        this.#i = 0
        this.#fails = 0
      }
      let p = this.#list[this.#i++]!
      if (p.down(maxFails)) {
        if (++this.#fails < n) continue
        fwd.broken.value++
        if (failfastAllUnhealthy) return this.fail(this.#lastErr ?? NO_HEALTHY)
        p = pickRandom(fwd.proxies)
      }
      new Leg(this, p).send()
      return
    }
  }

  /**
   * max_connect_attempts, by default CoreDNS 1.14.7's 2 per upstream: an upstream that fails at
   * once (an invalid reply, a refused connection) would otherwise be asked again in a tight loop
   * until the 5 s deadline (measured: 128,349 upstream queries for one query). An explicit 0 is
   * CoreDNS's "no limit": tries until the deadline.
   */
  #maxAttempts(): number {
    const n = this.h.fwd.cfg.maxConnectAttempts
    return n === undefined ? ATTEMPTS_PER_UPSTREAM * this.#list.length : n === 0 ? Infinity : n
  }

  legReply(_leg: Leg, reply: Uint8Array): void {
    if (this.done) return
    // CoreDNS README: "If all upstreams have been tried, the response from the last attempt is
    // returned."
    const n = this.h.fwd.proxies.length
    if (this.h.fwd.cfg.failover.includes(reply[3]! & 0xf) && ++this.#failovers < n) {
      this.#fails++
      return this.#next()
    }
    this.deliver(reply)
  }

  legError(leg: Leg, err: Error): void {
    this.suspect(leg.proxy)
    if (this.done) return
    this.#lastErr = err
    if (++this.#attempts >= this.#maxAttempts()) return this.fail(err)
    if (this.#fails < this.h.fwd.proxies.length) return this.#next()
    this.fail(err)
  }
}

export class ParallelExchange extends Exchange {
  #outstanding = 0
  #fallback: Uint8Array | undefined
  #lastErr: Error | undefined

  start(): Promise<number> {
    const fwd = this.h.fwd
    const down = (p: Proxy): boolean => p.down(fwd.cfg.maxFails)
    let targets = fwd.proxies.some(down) ? fwd.proxies.filter((p) => !down(p)) : fwd.proxies
    if (targets.length === 0) {
      fwd.broken.value++
      if (fwd.cfg.failfastAllUnhealthy) {
        this.fail(NO_HEALTHY)
        return this.result
      }
      targets = fwd.proxies
    }
    this.#outstanding = targets.length
    for (const p of targets) new Leg(this, p).send()
    return this.result
  }

  legReply(leg: Leg, reply: Uint8Array): void {
    this.#outstanding--
    if (this.done) return
    const rcode = reply[3]! & 0xf
    const good = (rcode === Rcode.NoError || rcode === Rcode.NXDomain) &&
      !this.h.fwd.cfg.failover.includes(rcode)
    if (good) {
      publish(this.r, 'forward/upstream', leg.proxy.to) // the one that answered, of all tried
      return this.deliver(reply)
    }
    this.#fallback ??= reply
    this.#settle()
  }

  legError(leg: Leg, err: Error): void {
    this.#outstanding--
    this.suspect(leg.proxy)
    if (this.done) return
    this.#lastErr = err
    this.#settle()
  }

  /** Every upstream has failed: the first unwanted reply, else the last error. */
  #settle(): void {
    if (this.#outstanding > 0) return
    if (this.#fallback !== undefined) this.deliver(this.#fallback)
    else this.fail(this.#lastErr ?? NO_HEALTHY)
  }
}
