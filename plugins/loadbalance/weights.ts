// The weight file of the weighted policy (CoreDNS plugin/loadbalance weighted.go): a domain name
// on a line of its own, then `IP WEIGHT` lines (weights 1..255) for it; `#` starts a comment line.
// It is read at startup and every `reload` interval; its weights are taken when its contents
// changed.

import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { readBoundedAsync, UnreadableFile } from '../../src/corefile/read.ts'
import type { Logger } from '../../src/plugin/log.ts'
import { addressBytes } from '../../src/dns/networks.ts'
import { ipKey, type Weights } from './policy.ts'

/** Parses a weight file; throws an Error with CoreDNS's message on the first bad line. */
export function parseWeights(text: string, file: string): Weights {
  const domains = new Map<string, Map<string, number>>()
  let current: Map<string, number> | undefined
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    if (fields.length === 1) {
      const name = fields[0]!
      if (addressBytes(name) !== undefined) {
        throw new Error(
          `wrong domain name:"${name}" in weight file ${file}. (Maybe a missing weight value?)`,
        )
      }
      const fqdn = (name.endsWith('.') ? name : `${name}.`).toLowerCase()
      current = domains.get(fqdn) ?? new Map()
      domains.set(fqdn, current)
    } else if (fields.length === 2) {
      const [ip, weight] = fields as [string, string]
      const bytes = addressBytes(ip)
      if (bytes === undefined) throw new Error(`wrong IP address:"${ip}" in weight file ${file}`)
      const w = /^\d{1,3}$/.test(weight) ? Number(weight) : 0
      if (w < 1 || w > 255) throw new Error(`wrong weight value:"${weight}" in weight file ${file}`)
      if (current === undefined) throw new Error(`missing domain name in weight file ${file}`)
      current.set(ipKey(bytes, 0, bytes.length), w)
    } else {
      throw new Error(`could not parse weight line:"${line}" in weight file ${file}`)
    }
  }
  return domains
}

/**
 * The largest weight file read (CoreDNS reads any size): like a hosts file, a few MB at most;
 * `weighted /dev/zero` or a runaway generator must not take the node's DNS with it.
 */
export const MAX_WEIGHT_FILE_BYTES = 16 << 20

/**
 * The weights in force, replaced when the file's contents change. The file is read without
 * blocking the event loop (it is re-read while serving) and only if it is a regular file within
 * MAX_WEIGHT_FILE_BYTES; whatever goes wrong, the weights in force stay.
 */
export class WeightFile {
  readonly path: string
  weights: Weights = new Map()
  #hash = ''
  /** The file's mtime and size when it last failed: said once, not again until they change. */
  #failed: string | undefined
  #reading = false

  constructor(path: string) {
    this.path = path
  }

  /**
   * Reads the file, taking its weights if its contents changed. Returns why it could not be
   * read (CoreDNS: an open error), else undefined; throws on a parse error.
   */
  async load(log: Logger): Promise<string | undefined> {
    const version = await fileVersion(this.path)
    this.#failed = version
    let text: string
    try {
      text = await readBoundedAsync(this.path, MAX_WEIGHT_FILE_BYTES)
    } catch (err) {
      if (err instanceof UnreadableFile) return err.message
      return (err as NodeJS.ErrnoException).code ?? String(err)
    }
    const hash = createHash('md5').update(text).digest('hex')
    if (hash !== this.#hash) {
      this.weights = parseWeights(text, this.path)
      this.#hash = hash
      log.info(`Successfully reloaded weight file ${this.path}`)
    }
    this.#failed = undefined
    return undefined
  }

  /**
   * load() on the reload interval: after a failure (logged once, here or at startup) the file is
   * not read again until its modification time or size changes. One read at a time, so a slow
   * disk cannot pile reads up.
   */
  async reload(log: Logger): Promise<void> {
    if (this.#reading) return
    this.#reading = true
    try {
      if ((await fileVersion(this.path)) === this.#failed) return
      const problem = await this.load(log)
      if (problem !== undefined) log.warning(`Failed to open weight file: ${this.path}: ${problem}`)
    } catch (err) {
      log.error((err as Error).message)
    } finally {
      this.#reading = false
    }
  }
}

async function fileVersion(path: string): Promise<string> {
  try {
    const st = await stat(path, { bigint: true })
    return `${st.mtimeNs}:${st.size}`
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unreadable'
  }
}
