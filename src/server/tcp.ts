// TCP transport (RFC 7766): the listener and its connection table. Each connection
// (tcp-conn.ts) frames, pipelines and bounds its own queries; CoreDNS's 3 s first-read, 10 s
// idle and 5 s write timeouts apply (the timeouts plugin changes them per server).
//
// Bounds (issue 14; every pod on the node is untrusted), each counted in tsdns_shed_total:
// - 32 queries in flight per connection: RFC 7766 pipelining at a depth no stub resolver needs
//   more of. miekg (CoreDNS) serves one query at a time per connection.
// - 64 KiB of answers not taken by the kernel per connection: one maximal DNS message. Reading
//   stops there; an answer that still comes (a forwarded one) past it closes the connection, so
//   it never holds more than the bound and one message. miekg writes each answer before reading
//   the next query, so it holds at most one.
// - 32 MiB of TCP buffers in all (tcp-memory.ts): 1,024 connections at those bounds could hold
//   ~130 MiB; this keeps the total a small part of the manifests' 768 Mi limit.
// - 128 connections per source address, 1,024 per listener (tcp-table.ts): a newcomer always
//   gets in, evicting the idlest; CoreDNS has no connection limit at all.

import net from 'node:net'
import type { DnsServer } from './server.ts'
import { TcpConnection, type TcpLimits } from './tcp-conn.ts'
import { TcpMemory } from './tcp-memory.ts'
import { ConnectionTable } from './tcp-table.ts'
import { secureSocket } from './tls.ts'

export type { TcpLimits } from './tcp-conn.ts'

export const TCP_LIMITS: TcpLimits = {
  inflight: 32,
  writeQueue: 64 * 1024,
  perSource: 128,
  total: 1024,
  memory: new TcpMemory(32 * 1024 * 1024),
}

export class TcpListener {
  readonly host: string
  port: number
  target: DnsServer
  readonly #limits: TcpLimits
  readonly #table: ConnectionTable<TcpConnection>
  #server: net.Server | undefined

  constructor(host: string, port: number, target: DnsServer, limits: TcpLimits = TCP_LIMITS) {
    this.host = host
    this.port = port
    this.target = target
    this.#limits = limits
    this.#table = new ConnectionTable(limits.perSource, limits.total)
  }

  /** Connections open now. */
  get connections(): number {
    return this.#table.size
  }

  async listen(): Promise<void> {
    // allowHalfOpen: a client that sends its queries and then shuts its side (FIN) still gets
    // every answer, as CoreDNS's serial read-serve-write loop gives them before it sees EOF.
    // highWaterMark: a write returns false (and 'drain' follows) at the write-queue bound, and a
    // stopped connection buffers at most that much of what the client keeps sending.
    const server = net.createServer(
      { noDelay: true, allowHalfOpen: true, highWaterMark: this.#limits.writeQueue },
      (raw) => {
        // tls:// with a certificate: TLS over the socket (tls.ts); without, plain TCP as CoreDNS
        const serving = this.target.tls
        const sock = serving === undefined ? raw : secureSocket(raw, serving, this.#limits.writeQueue)
        this.#table.admit(new TcpConnection(sock, this, this.#table, this.#limits, this.port))
      },
    )
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

  /** Stop accepting; open connections finish their in-flight answers, then close. */
  close(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (!server) return Promise.resolve()
    this.#table.forEach((c) => c.sock.end())
    return new Promise((resolve) => server.close(() => resolve()))
  }
}
