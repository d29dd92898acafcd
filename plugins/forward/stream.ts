// TCP and DNS-over-TLS to one upstream: persistent connections, several queries pipelined on
// each (RFC 7766 §6.2.1.1), replies matched by ID and question. A connection with nothing in
// flight is reused until `expire`; the least busy one takes the next query, and a new one is
// opened when all carry MAX_PIPELINE queries. A query that times out is abandoned (its late
// reply is discarded quietly); a connection left with nothing but abandoned queries is closed.

import net from 'node:net'
import tls from 'node:tls'
import { FrameReader } from '../../src/wire/frame-reader.ts'
import { HEADER, u16 } from '../../src/wire/message.ts'
import type { DropReason } from './metrics.ts'
import { checkReply } from './reply-check.ts'
import { randomId } from './random-id.ts'
import { quietError, type Endpoint, type PoolCells, type PoolOptions, type Waiter }
  from './transport.ts'

/** Queries in flight per connection before another connection is opened. */
const MAX_PIPELINE = 16

export interface TlsSettings {
  readonly servername: string | undefined
  readonly options: tls.SecureContextOptions | undefined
}

interface Pending {
  readonly conn: StreamConn
  readonly id: number
  /** undefined once abandoned (timed out). */
  waiter: Waiter | undefined
  timer: NodeJS.Timeout | undefined
  /** Sent on a connection that had been used before (a close then means "stale", retry once). */
  readonly reused: boolean
}

export class StreamConn {
  readonly created = Date.now()
  used = this.created
  closed = false
  /** Queries waiting for a reply (abandoned ones not counted). */
  live = 0
  readonly #sock: net.Socket
  readonly #to: string
  readonly #pool: StreamPool | undefined
  readonly #pending = new Map<number, Pending>()
  /** At most one partial reply (≤ 65,535 bytes), assembled without recopying what came before. */
  readonly #reader = new FrameReader()
  #error: Error | undefined
  #served = false

  constructor(ep: Endpoint, secure: TlsSettings | undefined, pool: StreamPool | undefined) {
    this.#pool = pool
    this.#to = ep.to
    const target = { host: ep.host, port: ep.port, localAddress: ep.localAddress }
    // without a server name (none for an IP) the certificate must carry the IP itself
    const name = secure?.servername ? { servername: secure.servername } : {}
    this.#sock = secure
      ? tls.connect({ ...target, ...secure.options, ...name })
      : net.connect(target)
    this.#sock.setNoDelay(true)
    this.#sock.unref()
    this.#sock.on('data', (chunk: Buffer) => this.#onData(chunk))
    this.#sock.on('error', (err) => (this.#error = err))
    this.#sock.on('close', () => this.#onClose())
  }

  send(w: Waiter, timeoutMs: number): void {
    let id = randomId()
    while (this.#pending.has(id)) id = randomId()
    const q = w.query
    const frame = Buffer.allocUnsafe(q.length + 2)
    frame[0] = q.length >>> 8
    frame[1] = q.length & 0xff
    frame.set(q, 2)
    frame[2] = id >>> 8
    frame[3] = id & 0xff
    const p: Pending = { conn: this, id, waiter: w, timer: undefined, reused: this.#served }
    p.timer = setTimeout(timedOut, timeoutMs, p)
    this.#pending.set(id, p)
    this.live++
    this.#served = true
    this.#sock.write(frame)
  }

  #onData(chunk: Buffer): void {
    const reader = this.#reader
    reader.push(chunk)
    while (reader.ready() >= 0) this.#onFrame(reader.take())
  }

  #onFrame(reply: Buffer): void {
    const p = reply.length >= HEADER ? this.#pending.get(u16(reply, 0)) : undefined
    if (p === undefined) return this.#drop(reply.length < HEADER ? 'malformed' : 'id')
    const w = p.waiter
    if (w === undefined) {
      this.#pending.delete(p.id) // the late reply of an abandoned query
      return
    }
    const why = checkReply(reply, p.id, w.query, w.questionEnd)
    if (why !== undefined) return this.#drop(why)
    this.#pending.delete(p.id)
    clearTimeout(p.timer)
    this.live--
    this.used = Date.now()
    this.#pool?.released(this)
    w.onReply(reply)
  }

  #drop(reason: DropReason): void {
    this.#pool?.cells.dropped(reason)
  }

  /** A query's read timed out: abandon it; close the connection if nothing else waits on it. */
  timeout(p: Pending): void {
    const w = p.waiter
    if (w === undefined) return
    p.waiter = undefined
    this.live--
    if (this.live === 0) this.close()
    w.onError(this.#pool?.timeoutError ?? quietError(`read tcp ${this.#to}: i/o timeout`), false)
  }

  #onClose(): void {
    this.closed = true
    this.#pool?.removed(this)
    const err = this.#error ?? quietError('connection closed by upstream')
    const waiting = [...this.#pending.values()]
    this.#pending.clear()
    this.live = 0
    for (const p of waiting) {
      clearTimeout(p.timer)
      p.waiter?.onError(err, p.reused)
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.#sock.destroy()
  }
}

function timedOut(p: Pending): void {
  p.conn.timeout(p)
}

export class StreamPool {
  readonly proto: 'tcp' | 'tcp-tls'
  readonly cells: PoolCells
  readonly timeoutError: Error
  readonly #ep: Endpoint
  readonly #secure: TlsSettings | undefined
  readonly #opts: PoolOptions
  readonly #conns: StreamConn[] = []
  #draining = false

  constructor(ep: Endpoint, secure: TlsSettings | undefined, opts: PoolOptions, cells: PoolCells) {
    this.#ep = ep
    this.#secure = secure
    this.#opts = opts
    this.cells = cells
    this.proto = secure ? 'tcp-tls' : 'tcp'
    this.timeoutError = quietError(`read ${this.proto} ${ep.to}: i/o timeout`)
  }

  /** `fresh`: skip the cache (the retry after a reused connection turned out closed). */
  send(w: Waiter, timeoutMs: number, fresh = false): void {
    const now = Date.now()
    let best: StreamConn | undefined
    if (!fresh) {
      for (const c of this.#conns) {
        if (c.closed || this.#retired(c, now)) continue
        if (best === undefined || c.live < best.live) best = c
      }
    }
    if (best !== undefined && best.live < MAX_PIPELINE) {
      this.cells.hits.value++
    } else {
      this.cells.misses.value++
      best = new StreamConn(this.#ep, this.#secure, this)
      this.#conns.push(best)
    }
    best.send(w, timeoutMs)
  }

  /** Too old to take more queries: idle past expire, or past max_age. */
  #retired(c: StreamConn, now: number): boolean {
    const { expireMs, maxAgeMs } = this.#opts
    const idle = c.live === 0
    const stale = (idle && now - c.used > expireMs) || (maxAgeMs > 0 && now - c.created > maxAgeMs)
    if (stale && idle) c.close()
    return stale
  }

  /** A query on `c` got its reply: close `c` if it is idle and not to be kept. */
  released(c: StreamConn): void {
    if (c.live > 0) return
    const { expireMs, maxIdle } = this.#opts
    const keep = !this.#draining && expireMs > 0 && (maxIdle === 0 || this.idle <= maxIdle)
    if (!keep || this.#retired(c, Date.now())) c.close()
  }

  removed(c: StreamConn): void {
    const i = this.#conns.indexOf(c)
    if (i !== -1) this.#conns.splice(i, 1)
  }

  get idle(): number {
    let n = 0
    for (const c of this.#conns) if (!c.closed && c.live === 0) n++
    return n
  }

  get open(): number {
    return this.#conns.length
  }

  sweep(now = Date.now()): void {
    for (const c of [...this.#conns]) if (!c.closed) this.#retired(c, now)
  }

  drain(): void {
    this.#draining = true
    for (const c of [...this.#conns]) if (c.live === 0) c.close()
  }
}
