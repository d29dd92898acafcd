// Sets of IP networks, matched against client addresses (acl) and address records (loadbalance
// prefer) without allocating per query. IPv4-mapped IPv6 addresses match IPv4 networks, as Go's
// net.IP does.

import { parseCidr, type Network } from './cidr.ts'

/** A v4 network as [address, mask] in unsigned 32-bit form. */
type V4 = readonly [number, number]

export class Networks {
  readonly #v4: V4[] = []
  readonly #v6: Network[] = []

  add(net: Network): void {
    if (net.bytes.length === 4) {
      const mask = net.prefix === 0 ? 0 : (0xffffffff << (32 - net.prefix)) >>> 0
      this.#v4.push([word(net.bytes, 0), mask])
    } else {
      this.#v6.push(net)
    }
  }

  /** Every IPv4 and IPv6 address (CoreDNS's `*` and the default for a missing `net`). */
  addAll(): void {
    this.add({ bytes: [0, 0, 0, 0], prefix: 0 })
    this.add({ bytes: Array<number>(16).fill(0), prefix: 0 })
  }

  /** The address of `len` (4 or 16) bytes at `off` in `buf`. */
  has(buf: ArrayLike<number>, off: number, len: number): boolean {
    if (len === 16 && isV4Mapped(buf, off)) return this.#hasV4(word(buf, off + 12))
    if (len === 4) return this.#hasV4(word(buf, off))
    for (const net of this.#v6) if (prefixMatch(buf, off, net)) return true
    return false
  }

  #hasV4(ip: number): boolean {
    for (const [addr, mask] of this.#v4) if ((ip & mask) >>> 0 === addr) return true
    return false
  }
}

function word(b: ArrayLike<number>, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0
}

function isV4Mapped(b: ArrayLike<number>, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false
  return b[off + 10] === 0xff && b[off + 11] === 0xff
}

function prefixMatch(b: ArrayLike<number>, off: number, net: Network): boolean {
  let bits = net.prefix
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if ((b[off + i]! & mask) !== net.bytes[i]) return false
  }
  return true
}

/** CIDR text, or a bare address taken as /32 or /128 (CoreDNS acl normalize). */
export function parseNetwork(text: string): Network | undefined {
  return parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`)
}

const parsed = new Map<string, readonly number[] | undefined>()
/** Client addresses repeat (the pods of one node): remember the parses, within a bound. */
const PARSED_MAX = 4096

/** The bytes of a textual address (an IPv6 zone such as %eth0 ignored); undefined if invalid. */
export function addressBytes(address: string): readonly number[] | undefined {
  let bytes = parsed.get(address)
  if (bytes === undefined && !parsed.has(address)) {
    const pct = address.indexOf('%')
    const ip = pct < 0 ? address : address.slice(0, pct)
    bytes = parseCidr(`${ip}/${ip.includes(':') ? 128 : 32}`)?.bytes
    if (parsed.size >= PARSED_MAX) parsed.clear()
    parsed.set(address, bytes)
  }
  return bytes
}
