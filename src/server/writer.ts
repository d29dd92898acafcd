// The writer handed to a chain: everything converges to bytes, scrubbed once on the way out.

import type { Addr, Msg, Request, ResponseWriter } from '../plugin/plugin.ts'
import { encodeMsg } from '../plugin/msg.ts'
import { rcodeOf } from '../wire/message.ts'
import { scrub } from '../wire/scrub.ts'

/**
 * Puts a reply on the wire to `to`, the remote the query came from: a transport hands the server
 * one Send for all its queries (and its own Addr type), not a closure per query.
 */
export type Send<A extends Addr = Addr> = (wire: Uint8Array, to: A) => void

export class ServerWriter<A extends Addr = Addr> implements ResponseWriter {
  readonly proto: 'udp' | 'tcp'
  readonly local: Addr
  readonly remote: A
  readonly req: Request
  /** Called only with this.remote, an A: held as a Send<Addr> so that a writer of any A is one. */
  readonly #send: Send<Addr>
  #settled: (() => void) | undefined
  /** What went out, for the server's rcode fallback, metrics and logs. */
  written = false
  rcode = -1
  sent = 0
  by = ''
  /** The reply's length as the chain wrote it, before truncation: what CoreDNS's metrics record. */
  wrote = 0

  constructor(req: Request, local: Addr, remote: A, send: Send<A>, settled?: () => void) {
    this.proto = req.proto
    this.req = req
    this.local = local
    this.remote = remote
    this.#send = send as Send<Addr>
    this.#settled = settled
  }

  /** The query is done: answered, or its chain ended without a word (acl drop). Once. */
  settle(): void {
    const s = this.#settled
    this.#settled = undefined
    s?.()
  }

  write(wire: Uint8Array, by: string): void {
    if (this.written) return // one reply per query: a second write would be a second packet
    this.wrote = wire.length
    const out = scrub(wire, this.req)
    this.written = true
    this.rcode = rcodeOf(out)
    this.sent = out.length
    this.by = by
    this.#send(out, this.remote)
    this.settle()
  }

  writeMsg(msg: Msg, by: string): void {
    this.write(encodeMsg(msg), by)
  }
}
