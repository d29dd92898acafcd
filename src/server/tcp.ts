// TCP transport (RFC 7766): 2-byte length framing, CoreDNS's 3 s first-read, 10 s idle and 5 s
// write timeouts (the timeouts plugin changes them per server), pipelined queries answered as
// each completes, and a bound on open connections.
//
// The read timeouts are deadlines, as Go's SetReadDeadline in CoreDNS: a whole message must
// arrive within readMs of the connection (idleMs of the last message or answer). Bytes trickling
// in do not extend it, or a client sending one byte a second would hold a connection for ever.

import net from 'node:net'
import type { Addr, TcpOptions } from '../plugin/plugin.ts'
import { peer } from './addr.ts'
import type { DnsServer } from './server.ts'

export const TCP_DEFAULTS: Required<TcpOptions> = {
  readMs: 3000,
  writeMs: 5000,
  idleMs: 10000,
  maxQueries: 0,
}
export const TCP_MAX_CONNECTIONS = 1024

export class TcpListener {
  readonly host: string
  port: number
  target: DnsServer
  #server: net.Server | undefined
  readonly #sockets = new Set<net.Socket>()

  constructor(host: string, port: number, target: DnsServer) {
    this.host = host
    this.port = port
    this.target = target
  }

  async listen(): Promise<void> {
    // allowHalfOpen: a client that sends its queries and then shuts its side (FIN) still gets
    // every answer, as CoreDNS's serial read-serve-write loop gives them before it sees EOF
    const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (sock) => this.#serve(sock))
    server.maxConnections = TCP_MAX_CONNECTIONS
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(
        { host: this.host === '' ? '::' : this.host, port: this.port, reusePort: true, ipv6Only: false },
        () => {
          server.off('error', reject)
          resolve()
        },
      )
    })
    server.on('error', () => {})
    this.port = (server.address() as net.AddressInfo).port
    this.#server = server
  }

  #serve(sock: net.Socket): void {
    this.#sockets.add(sock)
    sock.on('close', () => this.#sockets.delete(sock))
    sock.on('error', () => sock.destroy())
    // The limits of the configuration serving when the connection came in.
    const { readMs, writeMs, idleMs, maxQueries } = this.target.tcp
    const expire = () => sock.destroy()
    let deadline = setTimeout(expire, readMs)
    const local: Addr = peer(sock.localAddress ?? '', sock.localPort ?? this.port)
    const remote: Addr = peer(sock.remoteAddress ?? '', sock.remotePort ?? 0)
    let read = 0
    /** Queries done (answered, or ended without an answer): max_queries counts these. */
    let done = 0
    /** Queries handed on and not done yet. */
    let owed = 0
    let ended = false
    let stalled: NodeJS.Timeout | undefined
    sock.on('close', () => {
      clearTimeout(stalled)
      clearTimeout(deadline)
    })
    const send = (wire: Uint8Array) => {
      if (sock.destroyed || !sock.writable) return
      const framed = Buffer.allocUnsafe(wire.length + 2)
      framed.writeUInt16BE(wire.length, 0)
      framed.set(wire, 2)
      // A reply the kernel does not take within writeMs means a client that stopped reading.
      if (!sock.write(framed) && stalled === undefined) {
        stalled = setTimeout(() => sock.destroy(), writeMs)
        sock.once('drain', () => {
          clearTimeout(stalled)
          stalled = undefined
        })
      }
      deadline.refresh() // the next message may take idleMs from this answer
    }
    const settled = () => {
      const last = ++done === maxQueries
      if ((--owed === 0 && ended) || last) sock.end()
    }
    // The client is done sending: close once every query it sent is done, answered or not.
    sock.on('end', () => {
      ended = true
      if (owed === 0) sock.end()
    })
    let pending: Buffer = Buffer.alloc(0)
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      while (pending.length >= 2) {
        if (read === maxQueries && maxQueries > 0) return // the rest waits for the close
        const len = pending.readUInt16BE(0)
        // A zero-length message is a message too short to answer: miekg reads it, says nothing
        // and goes on reading the connection (handle drops it like any runt).
        if (pending.length < len + 2) break
        const msg = pending.subarray(2, len + 2)
        pending = pending.subarray(len + 2)
        if (read++ === 0) {
          clearTimeout(deadline)
          deadline = setTimeout(expire, idleMs)
        } else deadline.refresh()
        owed++
        if (!this.target.handle(msg, 'tcp', local, remote, send, undefined, settled)) owed--
      }
    })
  }

  /** Stop accepting; open connections finish their in-flight answers, then close. */
  close(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (!server) return Promise.resolve()
    for (const s of this.#sockets) s.end()
    return new Promise((resolve) => server.close(() => resolve()))
  }
}
