// UDP to one upstream: a pool of sockets, each on a random source port the kernel picks, each
// connected to the upstream (as CoreDNS's are) and carrying one query at a time under a fresh
// random ID. Connected, the kernel delivers only the upstream's datagrams and reports its ICMP
// errors: a closed port fails the query at once (ECONNREFUSED) instead of after read_timeout.
// A reply must carry the query's ID and question; anything else is dropped and counted, and the
// socket keeps waiting. A socket whose query timed out is closed, never reused, so a late reply
// meets a closed port. Idle sockets are reused oldest first (CoreDNS: for source port
// diversity) until `expire`.

import dgram from 'node:dgram'
import { ipLookup } from '../../src/plugin/ip-lookup.ts'
import type { DropReason } from './metrics.ts'
import { checkReply } from './reply-check.ts'
import { randomId } from './random-id.ts'
import { quietError, type Endpoint, type PoolCells, type PoolOptions, type Waiter }
  from './transport.ts'

export class UdpConn {
  readonly #sock: dgram.Socket
  readonly #ep: Endpoint
  readonly #pool: UdpPool | undefined
  readonly created = Date.now()
  used = this.created
  closed = false
  #ready = false
  #waiter: Waiter | undefined
  #id = 0
  #timer: NodeJS.Timeout | undefined
  /** An error before any query was sent: a source_address that cannot be bound fails at once. */
  #early: Error | undefined

  constructor(ep: Endpoint, pool: UdpPool | undefined) {
    this.#ep = ep
    this.#pool = pool
    const sock = dgram.createSocket({ type: ep.family === 6 ? 'udp6' : 'udp4', lookup: ipLookup })
    this.#sock = sock
    sock.on('message', (msg) => this.#onMessage(msg))
    sock.on('error', (err) => this.#fail(err))
    const connect = (): void => sock.connect(ep.port, ep.host, () => (this.#ready = true))
    // source_address: bound first, else connect() binds the wildcard address
    if (ep.localAddress === undefined) connect()
    else sock.bind({ address: ep.localAddress, port: 0 }, connect)
    sock.unref()
  }

  send(w: Waiter, timeoutMs: number): void {
    const early = this.#early
    // replies and errors arrive on a later turn, as for a socket that fails after sending
    if (early !== undefined) return void process.nextTick(() => w.onError(early, false))
    const id = randomId()
    const q = Buffer.allocUnsafe(w.query.length)
    q.set(w.query)
    q[0] = id >>> 8
    q[1] = id & 0xff
    try {
      if (this.#ready) this.#sock.send(q)
      else this.#sock.once('connect', () => this.#sock.send(q))
    } catch (err) {
      this.close()
      throw err
    }
    // replies arrive on a later turn: waiting starts now
    this.#id = id
    this.#waiter = w
    this.#timer = setTimeout(timedOut, timeoutMs, this)
  }

  #onMessage(msg: Buffer): void {
    const w = this.#waiter
    if (w === undefined) return this.#drop('id')
    const why = checkReply(msg, this.#id, w.query, w.questionEnd)
    if (why !== undefined) return this.#drop(why)
    clearTimeout(this.#timer)
    this.#waiter = undefined
    this.used = Date.now()
    this.#pool?.release(this)
    w.onReply(msg)
  }

  #drop(reason: DropReason): void {
    this.#pool?.cells.dropped(reason)
  }

  /** The read timed out: give up on this socket. */
  timeout(): void {
    const w = this.#waiter
    this.#waiter = undefined
    this.close()
    const err = this.#pool?.timeoutError ?? quietError(`read udp ${this.#ep.to}: i/o timeout`)
    w?.onError(err, false)
  }

  #fail(err: Error): void {
    const w = this.#waiter
    if (w === undefined) this.#early ??= err
    clearTimeout(this.#timer)
    this.#waiter = undefined
    this.close()
    w?.onError(err, false)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.#timer)
    this.#sock.close()
  }
}

function timedOut(conn: UdpConn): void {
  conn.timeout()
}

export class UdpPool {
  readonly cells: PoolCells
  readonly timeoutError: Error
  readonly #ep: Endpoint
  readonly #opts: PoolOptions
  readonly #idle: UdpConn[] = []
  #draining = false

  constructor(ep: Endpoint, opts: PoolOptions, cells: PoolCells) {
    this.#ep = ep
    this.#opts = opts
    this.cells = cells
    this.timeoutError = quietError(`read udp ${ep.to}: i/o timeout`)
  }

  send(w: Waiter, timeoutMs: number): void {
    this.#take(Date.now()).send(w, timeoutMs)
  }

  #take(now: number): UdpConn {
    const idle = this.#idle
    while (idle.length > 0) {
      const c = idle.shift()!
      if (c.closed) continue
      if (this.#expired(c, now)) {
        c.close()
        continue
      }
      this.cells.hits.value++
      return c
    }
    this.cells.misses.value++
    return new UdpConn(this.#ep, this)
  }

  #expired(c: UdpConn, now: number): boolean {
    const { expireMs, maxAgeMs } = this.#opts
    return now - c.used > expireMs || (maxAgeMs > 0 && now - c.created > maxAgeMs)
  }

  release(c: UdpConn): void {
    const { expireMs, maxIdle } = this.#opts
    if (this.#draining || expireMs === 0 || (maxIdle > 0 && this.#idle.length >= maxIdle)) c.close()
    else this.#idle.push(c)
  }

  /** Closes idle sockets past expire (CoreDNS's periodic cleanup). */
  sweep(now = Date.now()): void {
    const keep = this.#idle.filter((c) => {
      if (!c.closed && !this.#expired(c, now)) return true
      c.close()
      return false
    })
    this.#idle.splice(0, this.#idle.length, ...keep)
  }

  get idle(): number {
    return this.#idle.length
  }

  /** Shutdown: idle sockets close now, busy ones when their query ends. */
  drain(): void {
    this.#draining = true
    for (const c of this.#idle) c.close()
    this.#idle.length = 0
  }
}
