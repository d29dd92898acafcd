// health: /health answers 200 OK while the process serves, through the lameduck too, and a
// self-probe each second measures how long that takes (CoreDNS plugin/health).

import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../src/plugin/log.ts'
import { dialUrl, type HttpReply } from '../../src/server/http.ts'
import { goDurationMs } from '../../src/plugin/duration.ts'
import { probeDuration, probeFailures } from './metrics.ts'

export function healthy(): HttpReply {
  return { status: 200, body: 'OK' }
}

const PROBE_EVERY_MS = 1000
const PROBE_TIMEOUT_MS = 3000
/** A *local* request taking this long means the process is struggling (CoreDNS warns too). */
const SLOW_MS = 1000

/** GET without keep-alive; rejects on a network error, a timeout or a status other than 200. */
function get(url: string, timeoutMs: number): Promise<void> {
  // Not imported with the module: node:http would add ~25 ms to a start before DNS answers.
  const http = process.getBuiltinModule('node:http')
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume()
      res.on('error', reject)
      res.on('end', () => {
        if (res.statusCode === 200) resolve()
        else reject(new Error(`status ${res.statusCode}`))
      })
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
  })
}

class SelfProbe {
  readonly #url: string
  /** The URL as CoreDNS shows it in warnings: http://ADDRESS/health, e.g. http://:8080/health. */
  readonly #shown: string
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined
  #busy = false

  constructor(address: string, log: Logger) {
    this.#url = dialUrl(address, '/health')
    this.#shown = `http://${address}/health`
    this.#log = log
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#probe(), PROBE_EVERY_MS).unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  async #probe(): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    const start = performance.now()
    try {
      await get(this.#url, PROBE_TIMEOUT_MS)
      const ms = performance.now() - start
      probeDuration.observe(ms / 1000)
      if (ms > SLOW_MS) {
        const took = goDurationMs(ms)
        this.#log.warning(`Local health request to "${this.#shown}" took more than 1s: ${took}`)
      }
    } catch (err) {
      probeDuration.observe((performance.now() - start) / 1000)
      probeFailures.value++
      // Go's client wraps its error as `Get "URL": cause`.
      const cause = `Get "${this.#shown}": ${(err as Error).message}`
      this.#log.warning(`Local health request to "${this.#shown}" failed: ${cause}`)
    } finally {
      this.#busy = false
    }
  }
}

/** One configuration's health endpoints: their self-probes and the lameduck before a final stop. */
export class Health {
  readonly #log: Logger
  readonly #probes = new Map<string, SelfProbe>()
  readonly #sleep: (ms: number) => Promise<unknown>
  #lameduckMs = 0

  /** `wait` is the lameduck's timer: tests pass a fake one instead of waiting it out. */
  constructor(log: Logger, wait: (ms: number) => Promise<unknown> = sleep) {
    this.#log = log
    this.#sleep = wait
  }

  /** Several blocks may name health: one probe per address, the longest lameduck wins. */
  watch(address: string, lameduckMs: number): void {
    if (!this.#probes.has(address)) {
      this.#probes.set(address, new SelfProbe(address, this.#log))
    }
    this.#lameduckMs = Math.max(this.#lameduckMs, lameduckMs)
  }

  start(): void {
    for (const p of this.#probes.values()) p.start()
  }

  /** Final stop only: /health keeps answering OK and queries keep being served meanwhile. */
  async lameduck(): Promise<void> {
    if (this.#lameduckMs <= 0) return
    this.#log.info(`Going into lameduck mode for ${goDurationMs(this.#lameduckMs)}`)
    await this.#sleep(this.#lameduckMs)
  }

  stop(): void {
    for (const p of this.#probes.values()) p.stop()
  }
}
