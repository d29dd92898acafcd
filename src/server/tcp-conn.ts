// One TCP connection (RFC 7766): 2-byte length framing, pipelined queries answered as each
// completes, and the bounds that keep a client from making tsdns hold more for it than its share.
//
// Backpressure: the connection stops reading (sock.pause(); the kernel's socket buffer then
// pushes back on the client) while its queries in flight or its unwritten answers are at their
// bound, or while the process-wide TCP memory budget is over and it holds more than its share.
// It reads again when they settle, drain, or the budget has room. Bytes already read wait in
// the reader, at most what one read brought in. A client that never reads is closed at the write
// timeout, as CoreDNS's write deadline does.
//
// The read timeouts are deadlines, as Go's SetReadDeadline in CoreDNS: a whole message must
// arrive within readMs of the connection (idleMs of the last message or answer). Bytes trickling
// in do not extend it, or a client sending one byte a second would hold a connection for ever;
// nor do empty frames or messages dropped unanswered (runts, responses), which miekg reads
// silently: a connection sending only those is closed at its deadline.

import type net from 'node:net'
import type { Addr, TcpOptions } from '../plugin/plugin.ts'
import { shedCounter, type Cell } from '../plugin/metrics.ts'
import { FrameReader } from '../wire/frame-reader.ts'
import { peer } from './addr.ts'
import type { DnsServer } from './server.ts'
import type { ConnectionTable, Slot } from './tcp-table.ts'
import type { MemoryHolder, TcpMemory } from './tcp-memory.ts'

const SHED_INFLIGHT = shedCounter('tcp_inflight')
const SHED_WRITE_QUEUE = shedCounter('tcp_write_queue')
const SHED_MEMORY = shedCounter('tcp_memory')
const SHED_EMPTY_FRAME = shedCounter('tcp_empty_frame')
/**
 * Messages handed on per turn of the event loop, then the rest waits for the next turn: one
 * read can bring ~2,000 queries, and serving them all at once would keep every other client
 * (UDP ones included) waiting behind a connection that pipelines costly queries.
 */
const MESSAGES_PER_TURN = 32

/** The bounds of a listener's connections (TCP_LIMITS in tcp.ts has the values and reasons). */
export interface TcpLimits {
  /** Queries handed to the server and not settled yet, per connection. */
  readonly inflight: number
  /** Answer bytes not yet taken by the kernel, per connection. */
  readonly writeQueue: number
  /** Connections per source address. */
  readonly perSource: number
  /** Connections in all, per listener. */
  readonly total: number
  /** Bytes held by all connections, shared by listeners. */
  readonly memory: TcpMemory
}

/** What a connection reads from its listener: the server of the configuration serving now. */
export interface Target {
  readonly target: DnsServer
}

export class TcpConnection implements Slot, MemoryHolder {
  readonly sock: net.Socket
  readonly source: string
  active = 0
  readonly #listener: Target
  readonly #table: ConnectionTable<TcpConnection>
  readonly #limits: TcpLimits
  readonly #local: Addr
  readonly #remote: Addr
  /** Timeouts of the configuration serving when the connection came in. */
  readonly #opts: Required<TcpOptions>
  #deadline: NodeJS.Timeout
  #idle = false
  #stalled: NodeJS.Timeout | undefined
  /** Bytes read and not handed on: a message spread over segments is assembled once, not
   * recopied with each segment (one byte per segment would cost O(n²)). */
  readonly #reader = new FrameReader()
  /** Bytes counted in the memory budget. */
  #held = 0
  /** Messages handed on: max_queries stops reading there. */
  #read = 0
  /** Queries done (answered, or ended without an answer): max_queries closes there. */
  #done = 0
  #inflight = 0
  #ended = false
  #paused = false
  // bound once per connection, handed to the server with every query
  readonly #send = (wire: Uint8Array): void => this.#write(wire)
  readonly #settled = (): void => this.#settle()
  readonly #expire = (): void => void this.sock.destroy()
  readonly #nextTurn = (): void => this.#wake()
  /** A write the kernel took later than at once: its bytes leave the budget now, not at the next event. */
  readonly #flushed = (): void => this.#account()

  constructor(sock: net.Socket, listener: Target, table: ConnectionTable<TcpConnection>,
    limits: TcpLimits, localPort: number) {
    this.sock = sock
    this.#listener = listener
    this.#table = table
    this.#limits = limits
    this.#opts = listener.target.tcp
    this.#local = peer(sock.localAddress ?? '', sock.localPort ?? localPort)
    this.#remote = peer(sock.remoteAddress ?? '', sock.remotePort ?? 0)
    this.source = this.#remote.address
    this.#deadline = setTimeout(this.#expire, this.#opts.readMs)
    limits.memory.open()
    sock.on('data', (chunk: Buffer) => {
      // past max_queries nothing more is read: holding it would only grow until the close
      const max = this.#opts.maxQueries
      if (max > 0 && this.#read === max) return
      this.#reader.push(chunk)
      this.#parse()
    })
    sock.on('drain', () => {
      clearTimeout(this.#stalled)
      this.#stalled = undefined
      this.#account()
      this.#wake()
    })
    // The client is done sending: close once every query it sent is done, answered or not.
    sock.on('end', () => {
      this.#ended = true
      this.#closeIfDone()
    })
    sock.on('error', this.#expire)
    sock.on('close', () => {
      clearTimeout(this.#deadline)
      clearTimeout(this.#stalled)
      this.#reader.clear()
      this.#table.remove(this)
      this.#limits.memory.close(this, this.#held)
      this.#held = 0
    })
  }

  evict(): void {
    this.sock.destroy()
  }

  memoryFreed(): void {
    this.#wake()
  }

  /** Hands on every whole message read, until a bound says stop. */
  #parse(): void {
    const max = this.#opts.maxQueries
    let turn = 0
    const reader = this.#reader
    while (!this.#paused) {
      if (max > 0 && this.#read === max) break // the rest waits for the close
      const len = reader.ready()
      if (len < 0) break
      if (len === 0) {
        // Not a message: miekg reads it and says nothing. It keeps nothing alive here.
        SHED_EMPTY_FRAME.value++
        reader.take()
        continue
      }
      const blocked = this.#blocked()
      if (blocked !== undefined) {
        this.#pause(blocked)
        break
      }
      if (++turn > MESSAGES_PER_TURN) {
        this.#pause(undefined)
        setImmediate(this.#nextTurn)
        break
      }
      const msg = reader.take()
      this.#read++
      this.#inflight++
      if (this.#listener.target.handle(msg, 'tcp', this.#local, this.#remote, this.#send, undefined,
        this.#settled)) {
        this.#active()
      } else this.#inflight--
    }
    this.#account()
    this.#closeIfDone()
  }

  /** The bound that stops reading now, if any (the counter it sheds into). */
  #blocked(): Cell | 'memory' | undefined {
    if (this.#inflight >= this.#limits.inflight) return SHED_INFLIGHT
    if (this.sock.writableLength >= this.#limits.writeQueue) return SHED_WRITE_QUEUE
    this.#account()
    return this.#limits.memory.over(this.#held) ? 'memory' : undefined
  }

  /** Stops reading; `why` is the bound that sheds (none for the end of a turn). */
  #pause(why: Cell | 'memory' | undefined): void {
    this.#paused = true
    this.sock.pause()
    if (why === 'memory') this.#limits.memory.wait(this)
    else if (why !== undefined) why.value++
  }

  /** A bound may have room again: read what is pending, then from the socket unless stopped again. */
  #wake(): void {
    if (!this.#paused || this.sock.destroyed) return
    this.#paused = false
    this.#parse()
    if (!this.#paused) this.sock.resume()
  }

  /** A query was answered: the next message may take idleMs from now. */
  #active(): void {
    this.#table.touch(this)
    if (this.#idle) this.#deadline.refresh()
    else {
      clearTimeout(this.#deadline)
      this.#deadline = setTimeout(this.#expire, this.#opts.idleMs)
      this.#idle = true
    }
  }

  #write(wire: Uint8Array): void {
    const sock = this.sock
    if (sock.destroyed || !sock.writable) return
    // Answers to queries already handed on (forwarded ones) keep coming after reading stopped. A
    // client that takes none of them is closed rather than queued for: past its write-queue bound
    // by more than one message, or over its share of a spent memory budget.
    const queued = sock.writableLength
    if (queued > this.#limits.writeQueue) return this.#drop(SHED_WRITE_QUEUE)
    if (queued > 0 && this.#limits.memory.over(this.#held)) return this.#drop(SHED_MEMORY)
    const framed = Buffer.allocUnsafe(wire.length + 2)
    framed.writeUInt16BE(wire.length, 0)
    framed.set(wire, 2)
    // A reply the kernel does not take within writeMs means a client that stopped reading.
    if (!sock.write(framed, this.#flushed) && this.#stalled === undefined) {
      this.#stalled = setTimeout(this.#expire, this.#opts.writeMs)
    }
    this.#deadline.refresh() // the next message may take idleMs from this answer
    this.#account()
  }

  /** Closes a connection that takes no answers at a bound, counted in `shed`. */
  #drop(shed: Cell): void {
    shed.value++
    this.sock.destroy()
  }

  #settle(): void {
    this.#inflight--
    if (++this.#done === this.#opts.maxQueries) this.sock.end()
    else if (this.#paused) this.#wake()
    else this.#closeIfDone()
  }

  #closeIfDone(): void {
    if (this.#ended && this.#inflight === 0 && !this.#paused) this.sock.end()
  }

  /** Brings the memory budget up to date with what this connection holds now. */
  #account(): void {
    const held = this.#reader.held + this.sock.readableLength + this.sock.writableLength
    if (held === this.#held) return
    const delta = held - this.#held
    this.#held = held
    this.#limits.memory.change(delta)
  }
}
