// Sockets outlive configurations: a reload points the same UDP/TCP listeners at the new servers,
// so no query is lost and no port is ever unbound while a valid configuration exists.

import { TcpListener } from './tcp.ts'
import { UdpListener } from './udp.ts'
import type { DnsServer } from './server.ts'

interface Pair {
  readonly udp: UdpListener
  readonly tcp: TcpListener
}

export class ListenerPool {
  readonly #pairs = new Map<string, Pair>()

  /** Serve exactly these servers: reuse sockets by address, open new ones, close the rest. */
  async apply(servers: readonly DnsServer[]): Promise<void> {
    const wanted = new Map(servers.map((s) => [key(s.host, s.port), s]))
    const opened: Array<[string, Pair]> = []
    try {
      for (const [k, server] of wanted) {
        const pair = this.#pairs.get(k)
        if (pair) continue
        const udp = new UdpListener(server.host, server.port, server)
        const tcp = new TcpListener(server.host, server.port, server)
        await udp.listen()
        opened.push([k, { udp, tcp }])
        await tcp.listen()
      }
    } catch (err) {
      // All or nothing: a bind failure leaves the previous sockets and targets untouched.
      await Promise.all(opened.map(([, p]) => Promise.all([p.udp.close(), p.tcp.close()])))
      throw err
    }
    for (const [k, p] of opened) this.#pairs.set(k, p)
    for (const [k, server] of wanted) {
      const pair = this.#pairs.get(k)!
      pair.udp.target = server
      pair.tcp.target = server
    }
    for (const [k, pair] of this.#pairs) {
      if (wanted.has(k)) continue
      this.#pairs.delete(k)
      await Promise.all([pair.udp.close(), pair.tcp.close()])
    }
  }

  async closeAll(): Promise<void> {
    await this.apply([])
  }
}

function key(host: string, port: number): string {
  return `${host}|${port}`
}
