// In-band health checking (CoreDNS pkg/proxy/health.go and pkg/up): a failed query starts a probe
// loop that sends `<domain> IN NS` (RD unless no_rec) on a fresh connection of the upstream's
// protocol every interval until any reply comes back. Each failed probe counts one more fail;
// an upstream with more than max_fails fails is down. Any reply, even SERVFAIL, is healthy.

import dnsPacket from 'dns-packet'
import type { Cell } from '../../src/plugin/metrics.ts'
import { packetName } from '../../src/plugin/msg.ts'
import { DEFAULTS } from './config.ts'
import { DohConn } from './doh.ts'
import { StreamConn, type TlsSettings } from './stream.ts'
import type { Endpoint } from './transport.ts'
import { UdpConn } from './udp.ts'

export interface HealthOptions {
  readonly intervalMs: number
  readonly domain: string
  readonly recursion: boolean
  /** The probe's transport: udp, tcp (force_tcp), tls or https (as the upstream's scheme). */
  readonly proto: 'udp' | 'tcp' | 'tls' | 'https'
  readonly secure: TlsSettings | undefined
}

export class HealthCheck {
  /** Consecutive failed probes; reset by a successful one. */
  fails = 0
  readonly #ep: Endpoint
  readonly #opts: HealthOptions
  readonly #failures: Cell
  readonly #query: Uint8Array
  #running = false
  #stopped = false
  #timer: NodeJS.Timeout | undefined

  constructor(ep: Endpoint, opts: HealthOptions, failures: Cell) {
    this.#ep = ep
    this.#opts = opts
    this.#failures = failures
    this.#query = dnsPacket.encode({
      type: 'query',
      id: 0,
      flags: opts.recursion ? dnsPacket.RECURSION_DESIRED : 0,
      questions: [{ name: packetName(opts.domain), type: 'NS', class: 'IN' }],
    })
  }

  get running(): boolean {
    return this.#running
  }

  /** Start probing unless a probe loop already runs (CoreDNS up.Probe.Do). */
  kick(): void {
    if (this.#running || this.#stopped) return
    this.#running = true
    void this.#loop()
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      if (await this.probe()) {
        this.fails = 0
        break
      }
      this.#failures.value++
      this.fails++
      if (this.#stopped) break
      await new Promise((resolve) => {
        this.#timer = setTimeout(resolve, this.#opts.intervalMs)
        this.#timer.unref()
      })
    }
    this.#running = false
  }

  /** One probe: true when the upstream answered anything at all within the timeout. */
  probe(): Promise<boolean> {
    const { promise, resolve } = Promise.withResolvers<boolean>()
    const { proto, secure } = this.#opts
    // a POST over a fresh connection for https, as CoreDNS's dohHc
    const conn = proto === 'udp'
      ? new UdpConn(this.#ep, undefined)
      : proto === 'https'
        ? new DohConn(this.#ep, secure!, 'POST', undefined)
        : new StreamConn(this.#ep, proto === 'tls' ? secure : undefined, undefined)
    const done = (ok: boolean): void => {
      conn.close()
      resolve(ok)
    }
    conn.send({
      query: this.#query,
      questionEnd: this.#query.length,
      onReply: () => done(true),
      onError: () => done(false),
    }, DEFAULTS.healthTimeoutMs)
    return promise
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }
}
