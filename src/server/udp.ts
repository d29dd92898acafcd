// UDP transport: one socket per listen address, bound with SO_REUSEPORT so a second tsdns can
// serve the same address (handover, HA pairs). The target server can be swapped (reload).

import dgram from 'node:dgram'
import { ipLookup } from '../plugin/ip-lookup.ts'
import type { Addr } from '../plugin/plugin.ts'
import { peer } from './addr.ts'
import type { DnsServer } from './server.ts'

/** Room for bursts: the kernel default (~200 KiB) drops packets under load. */
const RECV_BUFFER = 4 << 20
/** At close, how long queued and in-flight queries get to be answered after leaving the group. */
const DRAIN_MS = 50

type Parked = readonly [wire: Uint8Array, port: number, address: string]

export class UdpListener {
  readonly host: string
  port: number
  target: DnsServer
  #sock: dgram.Socket | undefined
  #local: Addr
  /** Replies held while closing: a connected socket cannot send to other addresses. */
  #parked: Parked[] | undefined
  /** Set just before the socket closes: answers finishing later are dropped, not sent. */
  #closed = false

  constructor(host: string, port: number, target: DnsServer) {
    this.host = host
    this.port = port
    this.target = target
    this.#local = peer(host === '' ? '::' : host, port)
  }

  async listen(): Promise<void> {
    const v6 = this.host === '' || this.host.includes(':')
    const sock = dgram.createSocket({
      type: v6 ? 'udp6' : 'udp4', reusePort: true, ipv6Only: false, lookup: ipLookup,
    })
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
        if (this.#parked) this.#parked.push([wire, rinfo.port, rinfo.address])
        // send() on a closed socket throws: an answer that took longer than the drain is lost
        else if (!this.#closed) sock.send(wire, rinfo.port, rinfo.address)
      })
    })
    this.#sock = sock
  }

  /**
   * Losing as little as possible of what another process on the same address (reusePort) could
   * answer: a connected socket leaves the group for new datagrams (the kernel hands them to the
   * others), the queued ones are still read and answered, then it closes.
   */
  async close(): Promise<void> {
    const sock = this.#sock
    this.#sock = undefined
    if (!sock) return
    const parked: Parked[] = (this.#parked = [])
    const away = await new Promise<boolean>((resolve) => {
      try {
        sock.connect(this.port, this.#local.address, (err?: Error) => resolve(!err))
      } catch {
        resolve(false)
      }
    })
    if (away) await new Promise((resolve) => setTimeout(resolve, DRAIN_MS))
    this.#parked = undefined
    if (parked.length > 0) {
      // back in the group until the close below, well under a millisecond with no poll between
      if (away) sock.disconnect()
      for (const [wire, port, address] of parked) sock.send(wire, port, address)
    }
    this.#closed = true
    await new Promise<void>((resolve) => sock.close(() => resolve()))
  }
}
