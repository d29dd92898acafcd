// The process lifecycle around instances: start, reload beside the running instance on the same
// sockets (a bad config leaves the old one serving), and stop.

import { dirname } from 'node:path'
import type { ServerBlock } from '../corefile/ast.ts'
import { logLine } from '../plugin/log.ts'
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
  #reloading: Promise<boolean> | undefined

  constructor(source: Source, opts: Omit<BuildOptions, 'dir'>) {
    this.#source = source
    this.#opts = opts
  }

  get instance(): Instance | undefined {
    return this.#current
  }

  #build(): Instance {
    const { blocks, file } = this.#source.load()
    return Instance.build(blocks, { ...this.#opts, dir: dirname(file) })
  }

  async start(): Promise<Instance> {
    const inst = this.#build()
    await this.#pool.apply(inst.servers)
    this.#current = inst
    await inst.startup()
    return inst
  }

  /** Resolves true when the new configuration serves, false when the old one kept serving. */
  reload(): Promise<boolean> {
    this.#reloading ??= this.#reload().finally(() => (this.#reloading = undefined))
    return this.#reloading
  }

  async #reload(): Promise<boolean> {
    let next: Instance
    try {
      next = this.#build()
      await this.#pool.apply(next.servers)
    } catch (err) {
      logLine('ERROR', `Corefile changed but reload failed: ${String(err instanceof Error ? err.message : err)}`)
      return false
    }
    const old = this.#current
    this.#current = next
    await old?.shutdown()
    await next.startup()
    return true
  }

  async stop(): Promise<void> {
    const inst = this.#current
    this.#current = undefined
    await inst?.shutdown()
    await this.#pool.closeAll()
  }
}
