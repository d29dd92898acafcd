// The process lifecycle around instances: start, reload beside the running instance on the same
// sockets (a bad config leaves the old one serving), and stop.

import { dirname } from 'node:path'
import { setImmediate } from 'node:timers/promises'
import type { ServerBlock } from '../corefile/ast.ts'
import { CorefileError, CorefileErrors } from '../corefile/errors.ts'
import { logLine } from '../plugin/log.ts'
import type { ReloadOutcome, RunPhase } from '../plugin/plugin.ts'
import { configHash } from './config-hash.ts'
import { closeRetiredListeners, endpointsOf } from './http.ts'
import { Instance, type BuildOptions } from './instance.ts'
import { ListenerPool } from './listeners.ts'

export interface Source {
  /** Reads and parses the configuration afresh (throws located errors). */
  load(): { blocks: readonly ServerBlock[]; file: string }
}

export class Runner {
  readonly #source: Source
  readonly #opts: Omit<BuildOptions, 'dir'>
  readonly #pool = new ListenerPool()
  #current: Instance | undefined
  /** SHA512 of the configuration that serves now (see config-hash.ts). */
  hash = ''
  /** What the reload plugin last tried and failed: its checksum, or its error when it had none. */
  #failed: string | undefined
  #reloading: Promise<ReloadOutcome> | undefined
  /** Whether the reload running is SIGUSR1's. */
  #forced = false
  #phase: RunPhase = 'starting'

  constructor(source: Source, opts: Omit<BuildOptions, 'dir'>) {
    this.#source = source
    this.#opts = opts
  }

  get instance(): Instance | undefined {
    return this.#current
  }

  #build(blocks: readonly ServerBlock[], file: string): Instance {
    return Instance.build(blocks, {
      ...this.#opts,
      dir: dirname(file),
      runtime: {
        reloadIfChanged: () => this.reload(true),
        hash: () => this.hash,
        phase: () => this.#phase,
      },
    })
  }

  async start(): Promise<Instance> {
    const { blocks, file } = this.#source.load()
    const inst = this.#build(blocks, file)
    await inst.prepare() // before binding, as CoreDNS sets plugins up before it listens
    await this.#pool.apply(inst.servers)
    this.#current = inst
    this.hash = configHash(blocks)
    // A turn of the event loop first: queries that came in while binding are answered before
    // the startup hooks load fastify and prom-client (~100 ms in which nothing is answered).
    await setImmediate()
    await inst.startup()
    this.#phase = 'serving'
    return inst
  }

  /**
   * 'reloaded' when a new configuration serves; 'failed' when a bad Corefile left the old one
   * serving; 'unchanged' with onlyIfChanged and nothing new. One reload at a time: a check
   * arriving during a reload is that reload ('unchanged' for it when SIGUSR1's); SIGUSR1
   * arriving during a check runs after it, so it is never lost to a check that found nothing.
   */
  reload(onlyIfChanged = false): Promise<ReloadOutcome> {
    const running = this.#reloading
    if (running !== undefined && onlyIfChanged) {
      return this.#forced ? running.then(() => 'unchanged' as const) : running
    }
    if (running !== undefined && this.#forced) return running
    const next: Promise<ReloadOutcome> = (running ?? Promise.resolve())
      .then(() => this.#reload(onlyIfChanged))
      .finally(() => {
        if (this.#reloading === next) this.#reloading = undefined
      })
    this.#reloading = next
    this.#forced = !onlyIfChanged
    return next
  }

  async #reload(onlyIfChanged: boolean): Promise<ReloadOutcome> {
    // As CoreDNS's reload plugin: a Corefile that does not parse is a warning at every check; one
    // that parses but fails to start is an error counted once, not again until it changes (or
    // the serving one is back). SIGUSR1 (onlyIfChanged false) always tries, and reports every
    // failure; what it tried is still the plugin's to try (and count) once.
    const prefix = onlyIfChanged ? 'plugin/reload: ' : ''
    let next: Instance
    let hash: string | undefined
    try {
      const { blocks, file } = this.#source.load()
      hash = configHash(blocks)
      if (onlyIfChanged && hash === this.hash) {
        this.#failed = undefined
        return 'unchanged'
      }
      if (onlyIfChanged && hash === this.#failed) return 'unchanged'
      logLine('INFO', 'Reloading') // caddy's words, which reload scripts wait on with the next
      next = this.#build(blocks, file)
      await next.prepare()
      await this.#bind(next)
    } catch (err) {
      const reason = String(err instanceof Error ? err.message : err)
      if (onlyIfChanged && hash === undefined && isSyntaxError(err)) {
        logLine('WARNING', `${prefix}Corefile parse failed: ${reason}`)
        return 'unchanged'
      }
      if (onlyIfChanged) {
        const key = hash ?? reason
        if (key === this.#failed) return 'unchanged'
        this.#failed = key
      }
      // As CoreDNS 1.14.7 logs them: caddy's restart, then the reload plugin or the SIGUSR1
      // handler with the error as its restart wrapped it
      logLine('ERROR', `Restart failed: ${reason}`)
      const restart = `starting with listener file descriptors: ${reason}`
      if (onlyIfChanged) logLine('ERROR', `${prefix}Corefile changed but reload failed: ${restart}`)
      else logLine('ERROR', `SIGUSR1: ${restart}`)
      return 'failed'
    }
    this.#failed = undefined
    const old = this.#current
    this.#current = next
    this.hash = hash
    await old?.shutdown()
    try {
      await next.startup()
    } catch (err) {
      // The new configuration serves DNS already; a plugin that could not start is logged, and
      // the reload must not take the process down (SIGUSR1 and the reload plugin don't wait).
      logLine('ERROR', `reload: startup of the new configuration failed: ${String(err instanceof Error ? err.message : err)}`)
    }
    await closeRetiredListeners() // HTTP listeners only the old configuration used
    logLine('INFO', 'Reloading complete')
    return 'reloaded'
  }

  /**
   * Every listener of `next` bound before anything of the old configuration closes, or nothing
   * changes: HTTP first (the old listeners keep theirs), then DNS (the pool is all or nothing and
   * closes the old sockets only once every new one is bound).
   */
  async #bind(next: Instance): Promise<void> {
    const http = endpointsOf(next.shared)
    await http?.bind()
    try {
      await this.#pool.apply(next.servers)
    } catch (err) {
      await http?.abandon()
      throw err
    }
  }

  async stop(): Promise<void> {
    const inst = this.#current
    this.#current = undefined
    this.#phase = 'stopping'
    await inst?.lameduck() // still serving: nothing has closed yet
    await inst?.shutdown()
    await closeRetiredListeners()
    await this.#pool.closeAll()
  }
}

/** Errors of the Corefile's text itself (CoreDNS's parse step), not of what it asks for. */
function isSyntaxError(err: unknown): boolean {
  const errors = err instanceof CorefileErrors ? err.errors : err instanceof CorefileError ? [err] : []
  return errors.length > 0 && errors.every((e) => e.code === 'COREFILE_SYNTAX' || e.code === 'COREFILE_IMPORT')
}
