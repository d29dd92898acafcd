// Sockets outlive configurations: a reload points the same UDP/TCP listeners at the new servers,
// so no query is lost and no port is ever unbound while a valid configuration exists.
// An address is dns:// (UDP and TCP) or tls:// (TCP only); multisocket binds it several times
// (SO_REUSEPORT: the kernel spreads datagrams and connections over the sockets).

import { TcpListener } from './tcp.ts'
import { UdpListener } from './udp.ts'
import type { DnsServer } from './server.ts'

type Listener = UdpListener | TcpListener

export class ListenerPool {
  readonly #sets = new Map<string, Listener[]>()

  /** Serve exactly these servers: reuse sockets by address, open new ones, close the rest. */
  async apply(servers: readonly DnsServer[]): Promise<void> {
    const wanted = new Map(servers.map((s) => [key(s), s]))
    const opened: Array<[string, Listener[]]> = []
    try {
      for (const [k, server] of wanted) {
        if (this.#sets.has(k)) continue
        const set: Listener[] = []
        opened.push([k, set])
        let port = server.port // port 0: every socket on the port the first one got
        for (let i = 0; i < server.sockets; i++) {
          const pair = server.transport === 'dns'
            ? [new UdpListener(server.host, port, server), new TcpListener(server.host, port, server)]
            : [new TcpListener(server.host, port, server)]
          for (const l of pair) {
            set.push(l)
            await l.listen()
            port = l.port
          }
        }
      }
    } catch (err) {
      // All or nothing: a bind failure leaves the previous sockets and targets untouched.
      await Promise.all(opened.flatMap(([, set]) => set.map((l) => l.close())))
      throw err
    }
    for (const [k, set] of opened) this.#sets.set(k, set)
    for (const [k, server] of wanted) for (const l of this.#sets.get(k)!) l.target = server
    for (const [k, set] of this.#sets) {
      if (wanted.has(k)) continue
      this.#sets.delete(k)
      await Promise.all(set.map((l) => l.close()))
    }
  }

  async closeAll(): Promise<void> {
    await this.apply([])
  }
}

/** Sockets are kept across a reload only when the address, transport and count stay the same. */
function key(s: DnsServer): string {
  return `${s.transport}|${s.host}|${s.port}|${s.sockets}`
}
