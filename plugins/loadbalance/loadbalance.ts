// loadbalance: reorders address records in every reply that passes through it, so clients
// spread over the addresses of a name (CoreDNS plugin/loadbalance).

import {
  nextOrFailure,
  type Addr,
  type Handler,
  type HandlerResult,
  type Msg,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { balanceMsg, balanceWire, type BalanceConfig } from './balance.ts'

const TYPE_IXFR = 251
const TYPE_AXFR = 252

class BalancingWriter implements ResponseWriter {
  readonly proto: 'udp' | 'tcp'
  readonly local: Addr
  readonly remote: Addr
  readonly #w: ResponseWriter
  readonly #cfg: BalanceConfig
  readonly #qtype: number

  constructor(w: ResponseWriter, cfg: BalanceConfig, qtype: number) {
    this.proto = w.proto
    this.local = w.local
    this.remote = w.remote
    this.#w = w
    this.#cfg = cfg
    this.#qtype = qtype
  }

  write(wire: Uint8Array, by: string): void {
    this.#w.write(balanceWire(this.#cfg, wire, this.#qtype), by)
  }

  writeMsg(msg: Msg, by: string): void {
    this.#w.writeMsg(balanceMsg(this.#cfg, msg, this.#qtype), by)
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
    if (r.type === TYPE_AXFR || r.type === TYPE_IXFR)
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
