// The base of every writer a plugin wraps around the one it was given (CoreDNS plugins embed
// dns.ResponseWriter the same way): addresses, protocol and what was sent come from the inner
// writer, and a message is encoded once and goes through write(). A subclass overrides write()
// to look at or change the reply on its way out.

import { encodeMsg } from '../plugin/msg.ts'
import type { Addr, Msg, ResponseWriter } from '../plugin/plugin.ts'

export class WrappedWriter implements ResponseWriter {
  readonly proto: 'udp' | 'tcp'
  readonly local: Addr
  readonly remote: Addr
  protected readonly inner: ResponseWriter

  constructor(inner: ResponseWriter) {
    this.proto = inner.proto
    this.local = inner.local
    this.remote = inner.remote
    this.inner = inner
  }

  get sent(): number {
    return this.inner.sent
  }

  get rcode(): number {
    return this.inner.rcode
  }

  get by(): string {
    return this.inner.by
  }

  write(wire: Uint8Array, by: string): void {
    this.inner.write(wire, by)
  }

  writeMsg(msg: Msg, by: string): void {
    this.write(encodeMsg(msg), by)
  }
}
