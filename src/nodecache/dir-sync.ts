// Watches a mounted ConfigMap directory the way kubernetes/dns pkg/dns/config/sync_dir.go does:
// every period, read its visible regular files (Kubernetes' ..data links are hidden) and report
// the contents when their hash changed. Polling, not inotify: ConfigMap updates swap a symlink,
// and a poll sees that the same way on every filesystem.

import { createHash } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { size } from '../corefile/limits.ts'
import { readBounded, UnreadableFile } from '../corefile/read.ts'

export interface DirContents {
  /** '' for an empty directory. */
  readonly version: string
  /** File name → text. */
  readonly data: ReadonlyMap<string, string>
}

/**
 * Bytes of all the files of a directory read together, names included: the directories watched
 * are ConfigMap volumes, and a ConfigMap holds at most 1 MiB. (kube-dns reads any size.)
 */
export const MAX_CONFIG_DIR_BYTES = 1 << 20

/**
 * The visible files of `dir`, each only if it is a regular file (read without blocking on a
 * FIFO), together within MAX_CONFIG_DIR_BYTES; throws naming the file that broke a rule.
 */
export function readConfigDir(dir: string): DirContents {
  if (!statSync(dir).isDirectory()) throw new Error(`config path "${dir}" is not a directory`)
  const hash = createHash('sha256')
  const data = new Map<string, string>()
  let left = MAX_CONFIG_DIR_BYTES
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue
    const path = join(dir, name)
    left -= name.length
    if (left < 0) throw tooMany(path, dir)
    let text: string
    try {
      text = readBounded(path, left)
    } catch (err) {
      if (!(err instanceof UnreadableFile)) throw err
      if (err.code === 'EISDIR') continue
      throw err.code === 'EFBIG' ? tooMany(path, dir) : new Error(`${path}: ${err.message}`)
    }
    // decoded leniently: an invalid sequence became U+FFFD, which no kube-dns setting contains
    if (text.includes('\uFFFD')) throw new Error(`non-utf8 data in ${path}`)
    left -= Buffer.byteLength(text)
    hash.update(name).update('\0').update(text).update('\0')
    data.set(name, text)
  }
  return { version: data.size === 0 ? '' : hash.digest('hex'), data }
}

function tooMany(path: string, dir: string): Error {
  return new Error(`${path}: the files of ${dir} exceed ${size(MAX_CONFIG_DIR_BYTES)}, ` +
    "a ConfigMap's limit")
}

export class DirSync {
  readonly dir: string
  readonly #periodMs: number
  readonly #onChange: (data: ReadonlyMap<string, string>) => void
  readonly #onError: (err: Error) => void
  #version: string | undefined
  #timer: NodeJS.Timeout | undefined
  #error: string | undefined

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
      const e = err instanceof Error ? err : new Error(String(err))
      // said once until it changes: the contents read last stay in force meanwhile
      if (e.message !== this.#error) this.#onError(e)
      this.#error = e.message
      return undefined
    }
    this.#error = undefined
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
