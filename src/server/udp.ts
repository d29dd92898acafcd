// UDP transport: one socket per listen address, bound with SO_REUSEPORT so a second tsdns can
// serve the same address (handover, HA pairs). The target server can be swapped (reload).

import dgram from 'node:dgram'
import { setTimeout as sleep } from 'node:timers/promises'
import { ipLookup } from '../plugin/ip-lookup.ts'
import type { Addr } from '../plugin/plugin.ts'
import { familyOf, peer, unmapped } from './addr.ts'
import type { DnsServer } from './server.ts'

/** Room for bursts: the kernel default (~200 KiB) drops packets under load. */
const RECV_BUFFER = 4 << 20
/**
 * The longest a close waits for the answers it owes: forward's overall deadline, by which a
 * forwarded query has its answer or SERVFAIL (CoreDNS also gives a stopping server 5 s).
 */
export const CLOSE_MAX_MS = 5000
/** While closing, how often parked answers go out and the close checks whether it is done. */
export const FLUSH_MS = 2
/**
 * The close ends after this many rounds in a row with nothing in flight, nothing parked and no
 * datagram read. Rounds are timers, so a poll of the socket lies between two: the receive queue
 * was seen empty, not merely not looked at.
 */
const QUIET_ROUNDS = 5
/** The close's clock and rounds; a test moves them by hand. */
export const closeClock = {
  now: (): number => performance.now(),
  round: (): Promise<unknown> => sleep(FLUSH_MS),
}
/** In-flight counts age by the second... */
const SLOT_MS = 1000
/** ...and are forgotten after 5 to 6 s: longer than a forwarded query may take (CLOSE_MAX_MS). */
const SLOTS = 6

type Parked = readonly [wire: Uint8Array, port: number, address: string]

/**
 * A client as the server and plugins see it (peer(): IPv4 unmapped), with what its answer needs:
 * the address as the socket reported it and the second its query was counted in flight.
 */
interface UdpPeer extends Addr {
  readonly raw: string
  readonly taken: number
}

export class UdpListener {
  readonly host: string
  port: number
  target: DnsServer
  #sock: dgram.Socket | undefined
  #local: Addr
  readonly #inflight = new InFlight()
  #ticker: NodeJS.Timeout | undefined
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
    // One function answers every query: a closure per query cost ~120 bytes of garbage
    const reply = (wire: Uint8Array, to: UdpPeer): void => {
      this.#inflight.done(to.taken)
      if (this.#parked) this.#parked.push([wire, to.port, to.raw])
      // send() on a closed socket throws: an answer later than CLOSE_MAX_MS is lost
      else if (!this.#closed) sock.send(wire, to.port, to.raw)
    }
    sock.on('message', (msg, rinfo) => {
      const address = unmapped(rinfo.address)
      const remote: UdpPeer = {
        address, port: rinfo.port, family: familyOf(address), raw: rinfo.address, taken: this.#inflight.take(),
      }
      this.target.handle(msg, 'udp', this.#local, remote, reply)
    })
    this.#ticker = setInterval(() => this.#inflight.tick(), SLOT_MS).unref()
    this.#sock = sock
  }

  /**
   * Losing nothing that another process on the same address (reusePort) could answer: a
   * connected socket leaves the group for new datagrams (the kernel hands them to the others)
   * but still reads its queue. It answers what it took (#drain), then closes.
   */
  async close(): Promise<void> {
    const sock = this.#sock
    this.#sock = undefined
    if (!sock) return
    const away = await new Promise<boolean>((resolve) => {
      try {
        sock.connect(this.port, this.#local.address, (err?: Error) => resolve(!err))
      } catch {
        resolve(false)
      }
    })
    // Still in the group, waiting would only take more queries in (connecting to the socket's
    // own address does not fail in practice).
    if (away) await this.#drain(sock)
    clearInterval(this.#ticker)
    this.#parked = undefined
    this.#closed = true
    await new Promise<void>((resolve) => sock.close(() => resolve()))
  }

  /** Answers what is queued and in flight, until all is quiet or CLOSE_MAX_MS has passed. */
  async #drain(sock: dgram.Socket): Promise<void> {
    this.#parked = []
    let read = 0
    const onRead = (): void => void read++
    sock.on('message', onRead)
    const end = closeClock.now() + CLOSE_MAX_MS
    let quiet = 0
    while (quiet < QUIET_ROUNDS && closeClock.now() < end) {
      await closeClock.round()
      const busy = read > 0 || this.#parked.length > 0 || this.#inflight.count > 0
      quiet = busy ? 0 : quiet + 1
      read = 0
      this.#flush(sock)
    }
    sock.off('message', onRead)
    // At the cap: what is still parked goes out; later answers are lost (see the send above).
    this.#flush(sock)
  }

  /**
   * Sends the parked answers, each from a moment back in the group (connect and disconnect
   * complete within the call, ipLookup answering at once). A datagram the kernel hands this
   * socket meanwhile is queued here, read and answered like the others, and keeps the close
   * going. One answer a moment: a client that asks again as soon as its answer arrives (woken
   * on this very core, it can run before the connect) less often finds the socket still there;
   * with all the answers in one moment, such follow-ups were twice as many (sigtermPair: 0.45
   * against 0.25 a parked answer). Parking for the whole close instead would hold cached
   * answers behind the slowest upstream.
   */
  #flush(sock: dgram.Socket): void {
    const parked = this.#parked!
    if (parked.length === 0) return
    this.#parked = []
    for (const [wire, port, address] of parked) {
      sock.disconnect()
      sock.send(wire, port, address)
      sock.connect(this.port, this.#local.address)
    }
  }
}

/**
 * Queries handed to the server whose reply has not been sent yet. Some never get one (runts and
 * responses are dropped, acl can drop) and nothing says so: each is counted in the slot of the
 * second it came in, and a slot is cleared when the ring comes round to it again, so such a
 * query holds a close back for CLOSE_MAX_MS at most, not for ever.
 */
export class InFlight {
  readonly #slots = new Int32Array(SLOTS)
  #second = 0

  /** Counts a query in; what it returns goes to done(). */
  take(): number {
    this.#slots[this.#second % SLOTS]!++
    return this.#second
  }

  done(taken: number): void {
    if (this.#second - taken < SLOTS) this.#slots[taken % SLOTS]!-- // else already forgotten
  }

  /** The next second: the oldest slot is forgotten and reused. */
  tick(): void {
    this.#slots[++this.#second % SLOTS] = 0
  }

  get count(): number {
    let n = 0
    for (const c of this.#slots) n += c
    return n
  }
}
