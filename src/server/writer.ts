// The writer handed to a chain: everything converges to bytes, scrubbed once on the way out.

import type { Addr, Msg, Request, ResponseWriter } from '../plugin/plugin.ts'
import { encodeMsg } from '../plugin/msg.ts'
import { rcodeOf } from '../wire/message.ts'
import { scrub } from '../wire/scrub.ts'

export type Send = (wire: Uint8Array) => void

export class ServerWriter implements ResponseWriter {
  readonly proto: 'udp' | 'tcp'
  readonly local: Addr
  readonly remote: Addr
  readonly req: Request
  readonly #send: Send
  #settled: (() => void) | undefined
  /** What went out, for the server's rcode fallback, metrics and logs. */
  written = false
  rcode = -1
  sent = 0
  by = ''

  constructor(req: Request, local: Addr, remote: Addr, send: Send, settled?: () => void) {
    this.proto = req.proto
    this.req = req
    this.local = local
    this.remote = remote
    this.#send = send
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
    const out = scrub(wire, this.req)
    this.written = true
    this.rcode = rcodeOf(out)
    this.sent = out.length
    this.by = by
    this.#send(out)
    this.settle()
  }

  writeMsg(msg: Msg, by: string): void {
    this.write(encodeMsg(msg), by)
  }
}
