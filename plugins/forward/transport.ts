// What the UDP and TCP/TLS connection pools share: the waiter they report to, the upstream they
// talk to, and the per-upstream metric cells they count in.

import type { Cell } from '../../src/plugin/metrics.ts'
import type { DropReason } from './metrics.ts'

/** One query in flight on a transport; the transport calls exactly one of the two methods. */
export interface Waiter {
  /** The client's query; the transport sends a copy under an ID of its own. */
  readonly query: Uint8Array
  /** Offset just past the question section of `query`. */
  readonly questionEnd: number
  /** A reply that passed every check (source, ID, question); the waiter owns the bytes. */
  onReply(reply: Uint8Array): void
  /**
   * No reply. `stale` says the query went out on a reused connection that the upstream had
   * closed: worth one more try on a fresh connection (CoreDNS ErrCachedClosed).
   */
  onError(err: Error, stale: boolean): void
}

export interface Endpoint {
  /** IP as Node reports a peer (IPv6 compressed, lowercase), for sending and source checks. */
  readonly host: string
  readonly port: number
  readonly family: 4 | 6
  /** The `to` metrics label: host:port, IPv6 in brackets. */
  readonly to: string
  /** source_address: the local IP every socket to this upstream is bound to. */
  readonly localAddress?: string | undefined
}

export interface PoolOptions {
  /** Idle connections older than this (since last use) are closed; 0: never reused. */
  readonly expireMs: number
  /** Connections older than this (since creation) are not reused; 0: no limit. */
  readonly maxAgeMs: number
  /** Idle connections kept per pool; 0: no limit. */
  readonly maxIdle: number
}

export interface PoolCells {
  readonly hits: Cell
  readonly misses: Cell
  readonly dropped: (reason: DropReason) => void
}

/** An error without a stack, made once: timeouts repeat for as long as an upstream is down. */
export function quietError(message: string): Error {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  const err = new Error(message)
  Error.stackTraceLimit = limit
  return err
}
