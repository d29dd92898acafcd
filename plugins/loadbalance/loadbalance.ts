// loadbalance: reorders address records in every reply that passes through it, so clients
// spread over the addresses of a name (CoreDNS plugin/loadbalance).

import { WrappedWriter } from '../../src/dns/writer.ts'
import {
  nextOrFailure,
  type Handler,
  type HandlerResult,
  type Msg,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { balanceMsg, balanceWire, type BalanceConfig } from './balance.ts'
import { Type } from '../../src/plugin/rrtype.ts'

class BalancingWriter extends WrappedWriter {
  readonly #cfg: BalanceConfig
  readonly #qtype: number

  constructor(w: ResponseWriter, cfg: BalanceConfig, qtype: number) {
    super(w)
    this.#cfg = cfg
    this.#qtype = qtype
  }

  override write(wire: Uint8Array, by: string): void {
    this.inner.write(balanceWire(this.#cfg, wire, this.#qtype), by)
  }

  override writeMsg(msg: Msg, by: string): void {
    this.inner.writeMsg(balanceMsg(this.#cfg, msg, this.#qtype), by)
  }
}

export class LoadBalanceHandler implements Handler {
  readonly name = 'loadbalance'
  readonly #cfg: BalanceConfig
  readonly #next: Handler | undefined

  constructor(cfg: BalanceConfig, next: Handler | undefined) {
    this.#cfg = cfg
    this.#next = next
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    if (r.type === Type.AXFR || r.type === Type.IXFR)
      return nextOrFailure('loadbalance', this.#next, ctx, w, r)
    return nextOrFailure(
      'loadbalance',
      this.#next,
      ctx,
      new BalancingWriter(w, this.#cfg, r.type),
      r,
    )
  }
}
