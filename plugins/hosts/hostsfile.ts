// /etc/hosts-style entries (CoreDNS plugin/hosts/hostsfile.go): `IP name [alias...]` per line,
// '#' comments. Names outside the plugin's zones are skipped; `*.example.org` is a wildcard for
// exactly one label (exact names win over it, it gets no PTR). Addresses are kept as rdata,
// ready to answer with. The file is re-read when its modification time or size changes.

import { stat } from 'node:fs/promises'
import { readBoundedAsync, UnreadableFile } from '../../src/corefile/read.ts'
import { logger } from '../../src/plugin/log.ts'
import { matchZone } from '../../src/plugin/zones.ts'
import { parseIp } from '../../src/dns/ip.ts'
import { nameWire } from '../../src/dns/rr.ts'
import { entries, reloadTimestamp } from './metrics.ts'
import { addressKey } from './reverse.ts'

export interface HostsMap {
  /** Lowercased FQDN (or `*.` wildcard) → addresses, as 4- or 16-byte rdata. */
  readonly v4: ReadonlyMap<string, readonly Uint8Array[]>
  readonly v6: ReadonlyMap<string, readonly Uint8Array[]>
  /** addressKey(ip) → PTR rdata of every name with that address. */
  readonly ptr: ReadonlyMap<string, readonly Uint8Array[]>
  /** CoreDNS's Len(): every address of every name, plus every reverse name. */
  readonly size: number
}

const EMPTY: HostsMap = { v4: new Map(), v6: new Map(), ptr: new Map(), size: 0 }

export interface ParseOptions {
  readonly origins: readonly string[]
  readonly reverse: boolean
}

/** One hosts line split into its address and names; undefined for blank and comment lines. */
export function hostsLine(line: string): { ip: string; names: string[] } | undefined {
  const hash = line.indexOf('#')
  const fields = (hash === -1 ? line : line.slice(0, hash))
    .split(/[ \t\n\v\f\r]+/)
    .filter((f) => f !== '')
  const [ip, ...names] = fields
  return ip === undefined ? undefined : { ip, names }
}

export function parseHosts(text: string, opts: ParseOptions): HostsMap {
  const v4 = new Map<string, Uint8Array[]>()
  const v6 = new Map<string, Uint8Array[]>()
  const ptr = new Map<string, Uint8Array[]>()
  let size = 0
  const add = (m: Map<string, Uint8Array[]>, k: string, v: Uint8Array): void => {
    const list = m.get(k)
    if (list) list.push(v)
    else m.set(k, [v])
    size++
  }
  for (const line of text.split('\n')) {
    const entry = hostsLine(line)
    if (entry === undefined || entry.names.length === 0) continue
    const ip = parseIp(entry.ip)
    if (ip === undefined) continue
    for (const field of entry.names) {
      const name = normalize(field)
      const wire = wireName(name)
      // names that are not domain names could never be answered
      if (wire === undefined || matchZone(opts.origins, name) === undefined) continue
      add(ip.length === 4 ? v4 : v6, name, ip)
      if (opts.reverse && !name.startsWith('*.')) add(ptr, addressKey(ip), wire)
    }
  }
  return { v4, v6, ptr, size }
}

/** CoreDNS plugin.Name(n).Normalize(): lowercase, fully qualified. */
function normalize(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower : `${lower}.`
}

function wireName(name: string): Uint8Array | undefined {
  try {
    return nameWire(name)
  } catch {
    return undefined
  }
}

/** `*.` plus all but the first label: the wildcard that would cover `name`. */
function wildcardFor(name: string): string | undefined {
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '\\') i++
    else if (name[i] === '.') return i === name.length - 1 ? undefined : `*${name.slice(i)}`
  }
  return undefined
}

/** Addresses of `name` in one map: its own, else those of the wildcard covering it. */
function lookup(
  m: ReadonlyMap<string, readonly Uint8Array[]>,
  name: string,
): readonly Uint8Array[] {
  const exact = m.get(name)
  if (exact !== undefined) return exact
  const wild = wildcardFor(name)
  return (wild === undefined ? undefined : m.get(wild)) ?? []
}

/** The entries of a file plus the Corefile's inline ones, and the file's reloading. */
export class Hostsfile {
  readonly path: string
  readonly inline: HostsMap
  readonly #opts: ParseOptions
  file: HostsMap = EMPTY
  #mtime = -1n
  #size = -1n
  #reading = false

  constructor(path: string, inline: HostsMap, opts: ParseOptions) {
    this.path = path
    this.inline = inline
    this.#opts = opts
  }

  /** A-record rdata for `name`: the file's, then the inline ones. */
  v4(name: string): readonly Uint8Array[] {
    return both(lookup(this.file.v4, name), lookup(this.inline.v4, name))
  }

  v6(name: string): readonly Uint8Array[] {
    return both(lookup(this.file.v6, name), lookup(this.inline.v6, name))
  }

  ptr(ip: Uint8Array): readonly Uint8Array[] {
    const key = addressKey(ip)
    return both(this.file.ptr.get(key) ?? [], this.inline.ptr.get(key) ?? [])
  }

  /**
   * Re-reads the file when its modification time or size changed (CoreDNS readHosts). A file
   * that cannot be read keeps the entries it had: setup already warned about it.
   */
  async read(): Promise<void> {
    if (this.#reading) return
    this.#reading = true
    let st
    try {
      st = await stat(this.path, { bigint: true })
      if (st.mtimeNs === this.#mtime && st.size === this.#size) return
      const text = await readBoundedAsync(this.path, MAX_HOSTS_BYTES)
      this.file = parseHosts(text, this.#opts)
      this.#mtime = st.mtimeNs
      this.#size = st.size
      entries.child({ hostsfile: this.path }).value = this.inline.size + this.file.size
      reloadTimestamp.child({}).value = Number(st.mtimeNs) / 1e9
    } catch (err) {
      // missing or unreadable right now: serve what we have. A file refused (too large, not a
      // regular file) is said once and not tried again until it changes.
      if (err instanceof UnreadableFile && st !== undefined) {
        log.warning(`not reading ${this.path}: ${err.message}`)
        this.#mtime = st.mtimeNs
        this.#size = st.size
      }
    } finally {
      this.#reading = false
    }
  }
}

/**
 * The largest hosts file read (CoreDNS reads any size): block lists run to a few MB (~200,000
 * entries); `hosts /dev/zero` or a runaway generator must not take the node's DNS with it.
 */
export const MAX_HOSTS_BYTES = 16 << 20

const log = logger('hosts')

function both(a: readonly Uint8Array[], b: readonly Uint8Array[]): readonly Uint8Array[] {
  return b.length === 0 ? a : a.length === 0 ? b : [...a, ...b]
}
