// The weight file of the weighted policy (CoreDNS plugin/loadbalance weighted.go): a domain name
// on a line of its own, then `IP WEIGHT` lines (weights 1..255) for it; `#` starts a comment line.
// It is read at startup and every `reload` interval when its contents changed.

import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Logger } from '../../src/plugin/log.ts'
import { addressBytes } from '../acl/networks.ts'
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

/** The weights in force, replaced when the file's contents change. */
export class WeightFile {
  readonly path: string
  weights: Weights = new Map()
  #hash = ''

  constructor(path: string) {
    this.path = path
  }

  /** Reads the file; false when it could not be opened; throws on a parse error. */
  load(log: Logger): boolean {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch {
      return false
    }
    const hash = createHash('md5').update(text).digest('hex')
    if (hash === this.#hash) return true
    this.weights = parseWeights(text, this.path)
    this.#hash = hash
    log.info(`Successfully reloaded weight file ${this.path}`)
    return true
  }
}
