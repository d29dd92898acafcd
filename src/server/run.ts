// The process lifecycle around instances: start, reload beside the running instance on the same
// sockets (a bad config leaves the old one serving), and stop.

import { dirname } from 'node:path'
import { setImmediate } from 'node:timers/promises'
import type { ServerBlock } from '../corefile/ast.ts'
import { logLine } from '../plugin/log.ts'
import type { ReloadOutcome, RunPhase } from '../plugin/plugin.ts'
import { configHash } from './config-hash.ts'
import { closeRetiredListeners } from './http.ts'
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
  #reloading: Promise<ReloadOutcome> | undefined
  /** SHA512 of the configuration that serves now (see config-hash.ts). */
  hash = ''
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
   * serving; 'unchanged' with onlyIfChanged and nothing new. Concurrent calls share one reload.
   */
  reload(onlyIfChanged = false): Promise<ReloadOutcome> {
    this.#reloading ??= this.#reload(onlyIfChanged).finally(() => (this.#reloading = undefined))
    return this.#reloading
  }

  async #reload(onlyIfChanged: boolean): Promise<ReloadOutcome> {
    let next: Instance
    let hash: string
    try {
      const { blocks, file } = this.#source.load()
      hash = configHash(blocks)
      if (onlyIfChanged && hash === this.hash) return 'unchanged'
      next = this.#build(blocks, file)
      await this.#pool.apply(next.servers)
    } catch (err) {
      logLine('ERROR', `Corefile changed but reload failed: ${String(err instanceof Error ? err.message : err)}`)
      return 'failed'
    }
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
    return 'reloaded'
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
