// UDP transport: one socket per listen address, bound with SO_REUSEPORT so a second tsdns can
// serve the same address (handover, HA pairs). The target server can be swapped (reload).

import dgram from 'node:dgram'
import type { Addr } from '../plugin/plugin.ts'
import { peer } from './addr.ts'
import type { DnsServer } from './server.ts'

/** Room for bursts: the kernel default (~200 KiB) drops packets under load. */
const RECV_BUFFER = 4 << 20

export class UdpListener {
  readonly host: string
  port: number
  target: DnsServer
  #sock: dgram.Socket | undefined
  #local: Addr

  constructor(host: string, port: number, target: DnsServer) {
    this.host = host
    this.port = port
    this.target = target
    this.#local = peer(host === '' ? '::' : host, port)
  }

  async listen(): Promise<void> {
    const v6 = this.host === '' || this.host.includes(':')
    const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reusePort: true, ipv6Only: false })
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind({ address: this.host === '' ? '::' : this.host, port: this.port }, () => {
        sock.off('error', reject)
        resolve()
      })
    })
    try {
      sock.setRecvBufferSize(RECV_BUFFER)
    } catch {
      // capped by net.core.rmem_max without privileges: the default still works
    }
    this.port = sock.address().port
    this.#local = peer(this.host === '' ? '::' : this.host, this.port)
    sock.on('error', () => {}) // ICMP errors on send: nothing to do, the client retries
    sock.on('message', (msg, rinfo) => {
      const remote = peer(rinfo.address, rinfo.port)
      this.target.handle(msg, 'udp', this.#local, remote, (wire) => {
        sock.send(wire, rinfo.port, rinfo.address)
      })
    })
    this.#sock = sock
  }

  close(): Promise<void> {
    const sock = this.#sock
    this.#sock = undefined
    if (!sock) return Promise.resolve()
    return new Promise((resolve) => sock.close(() => resolve()))
  }
}
