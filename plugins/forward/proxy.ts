// One upstream of a forward stanza (CoreDNS pkg/proxy.Proxy): its UDP and TCP/TLS connection
// pools, its health, and its metric cells, all bound when the configuration is built.

import type { HistogramCell } from '../../src/plugin/metrics.ts'
import { rcodeName } from '../../src/plugin/rcode.ts'
import type { ForwardConfig, Upstream } from './config.ts'
import { DohPool } from './doh.ts'
import { HealthCheck } from './health.ts'
import { connCacheHits, connCacheMisses, droppedReplies, healthcheckFailures, PROXY_NAME,
  requestDuration, type DropReason } from './metrics.ts'
import { StreamPool, type TlsSettings } from './stream.ts'
import type { PoolCells, Waiter } from './transport.ts'
import { UdpPool } from './udp.ts'

export class Proxy {
  readonly up: Upstream
  readonly udp: UdpPool
  /** TCP, or TLS for a tls:// upstream (which then takes every query). */
  readonly stream: StreamPool
  /** DNS over HTTPS for an https:// upstream (which then takes every query). */
  readonly doh: DohPool | undefined
  readonly health: HealthCheck
  readonly #durations: HistogramCell[] = []
  #sweeper: NodeJS.Timeout | undefined
  readonly #sweepMs: number

  constructor(up: Upstream, cfg: ForwardConfig) {
    this.up = up
    const ep = { ...up, localAddress: cfg.sourceAddress }
    const secure: TlsSettings | undefined = up.transport === 'dns'
      ? undefined
      : { servername: up.serverName, options: cfg.tls }
    const pool = { expireMs: cfg.expireMs, maxAgeMs: cfg.maxAgeMs, maxIdle: cfg.maxIdleConns }
    const drops = new Map<DropReason, { value: number }>()
    const dropped = (reason: DropReason): void => {
      let cell = drops.get(reason)
      if (cell === undefined) {
        cell = droppedReplies.child({ to: up.to, reason })
        drops.set(reason, cell)
      }
      cell.value++
    }
    const cells = (proto: string): PoolCells => ({
      hits: connCacheHits.child({ proxy_name: PROXY_NAME, to: up.to, proto }),
      misses: connCacheMisses.child({ proxy_name: PROXY_NAME, to: up.to, proto }),
      dropped,
    })
    this.udp = new UdpPool(ep, pool, cells('udp'))
    this.stream = new StreamPool(ep, secure, pool, cells(secure ? 'tcp-tls' : 'tcp'))
    this.doh = up.transport === 'https' ? new DohPool(ep, secure!, cfg.dohMethod, pool) : undefined
    const proto = up.transport === 'dns' ? (cfg.forceTcp ? 'tcp' : 'udp') : up.transport
    this.health = new HealthCheck(ep, {
      intervalMs: cfg.healthCheckMs,
      domain: cfg.healthCheckDomain,
      recursion: cfg.healthCheckRecursion,
      proto,
      secure,
    }, healthcheckFailures.child({ proxy_name: PROXY_NAME, to: up.to }))
    this.#sweepMs = Math.max(cfg.expireMs, 1000)
  }

  get to(): string {
    return this.up.to
  }

  /** CoreDNS Proxy.Down: more than maxFails failed health checks; never with maxFails 0. */
  down(maxFails: number): boolean {
    return maxFails !== 0 && this.health.fails > maxFails
  }

  send(w: Waiter, proto: 'udp' | 'tcp', timeoutMs: number, fresh = false): void {
    if (this.doh !== undefined) this.doh.send(w, timeoutMs, fresh)
    else if (proto === 'udp' && this.up.transport === 'dns') this.udp.send(w, timeoutMs)
    else this.stream.send(w, timeoutMs, fresh)
  }

  /** coredns_proxy_request_duration_seconds for a reply with this (header) rcode. */
  observe(rcode: number, seconds: number): void {
    let cell = this.#durations[rcode]
    if (cell === undefined) {
      const labels = { proxy_name: PROXY_NAME, to: this.up.to, rcode: rcodeName(rcode) }
      cell = requestDuration.child(labels)
      this.#durations[rcode] = cell
    }
    cell.observe(seconds)
  }

  start(): void {
    this.#sweeper ??= setInterval(() => {
      const now = Date.now()
      this.udp.sweep(now)
      this.stream.sweep(now)
      this.doh?.sweep(now)
    }, this.#sweepMs).unref()
  }

  stop(): void {
    clearInterval(this.#sweeper)
    this.health.stop()
    this.udp.drain()
    this.stream.drain()
    this.doh?.drain()
  }
}
