// Watches a mounted ConfigMap directory the way kubernetes/dns pkg/dns/config/sync_dir.go does:
// every period, read its visible regular files (Kubernetes' ..data links are hidden) and report
// the contents when their hash changed. Polling, not inotify: ConfigMap updates swap a symlink,
// and a poll sees that the same way on every filesystem.

import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface DirContents {
  /** '' for an empty directory. */
  readonly version: string
  /** File name → text. */
  readonly data: ReadonlyMap<string, string>
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function readConfigDir(dir: string): DirContents {
  if (!statSync(dir).isDirectory()) throw new Error(`config path "${dir}" is not a directory`)
  const hash = createHash('sha256')
  const data = new Map<string, string>()
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) continue
    const bytes = readFileSync(path)
    let text: string
    try {
      text = utf8.decode(bytes)
    } catch {
      throw new Error(`non-utf8 data in ${path}`)
    }
    hash.update(name).update('\0').update(bytes).update('\0')
    data.set(name, text)
  }
  return { version: data.size === 0 ? '' : hash.digest('hex'), data }
}

export class DirSync {
  readonly dir: string
  readonly #periodMs: number
  readonly #onChange: (data: ReadonlyMap<string, string>) => void
  readonly #onError: (err: Error) => void
  #version: string | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(dir: string, periodMs: number, onChange: (data: ReadonlyMap<string, string>) => void,
    onError: (err: Error) => void) {
    this.dir = dir
    this.#periodMs = periodMs
    this.#onChange = onChange
    this.#onError = onError
  }

  /** Reads now: the contents when they differ from the last read, else undefined. */
  poll(): ReadonlyMap<string, string> | undefined {
    let c: DirContents
    try {
      c = readConfigDir(this.dir)
    } catch (err) {
      this.#onError(err instanceof Error ? err : new Error(String(err)))
      return undefined
    }
    if (c.version === this.#version) return undefined
    this.#version = c.version
    return c.data
  }

  start(): void {
    this.#timer ??= setInterval(() => {
      const data = this.poll()
      if (data !== undefined) this.#onChange(data)
    }, this.#periodMs).unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
