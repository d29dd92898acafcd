// CIDR server keys and zone arguments become reverse zones, as in coredns plugin/pkg/cidr and
// plugin.SplitHostPort: the prefix is rounded up to the next label boundary (8 bits for IPv4, one
// 4-bit nibble for IPv6) and the network is split into as many subnets, one reverse zone each.
// 10.0.0.0/15 -> 0.10.in-addr.arpa. and 1.10.in-addr.arpa.

import { ipv4Bytes, ipv6Bytes } from './ip.ts'

export interface Network {
  /** The address with its host bits cleared: 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: readonly number[]
  readonly prefix: number
}

/** Go's net.ParseCIDR: a full IPv4 or IPv6 address (no zone) and a prefix length. */
export function parseCidr(text: string): Network | undefined {
  const slash = text.indexOf('/')
  if (slash === -1) return undefined
  const address = text.slice(0, slash)
  const ip = address.includes(':') ? ipv6Bytes(address) : ipv4Bytes(address)
  const bytes = ip && Array.from(ip)
  const mask = text.slice(slash + 1)
  if (!bytes || !/^\d+$/.test(mask) || Number(mask) > bytes.length * 8) return undefined
  return { bytes: masked(bytes, Number(mask)), prefix: Number(mask) }
}

export function reverseZones(net: Network): string[] {
  const bits = net.bytes.length * 8
  const digit = bits === 32 ? 8 : 4
  const prefix = Math.ceil(net.prefix / digit) * digit
  const step = 1n << BigInt(bits - prefix)
  const first = toBigInt(net.bytes)
  const suffix = bits === 32 ? 'in-addr.arpa.' : 'ip6.arpa.'
  const zones: string[] = []
  for (let i = 0n; i < 1n << BigInt(prefix - net.prefix); i++) {
    // the host part of the rounded prefix has no label in the zone name
    const labels = reverseLabels(fromBigInt(first + i * step, net.bytes.length))
    zones.push([...labels.slice((bits - prefix) / digit), suffix].join('.'))
  }
  return zones
}

/** The labels of the address's reverse name, least significant first (dns.ReverseAddr). */
function reverseLabels(bytes: number[]): string[] {
  if (bytes.length === 4) return bytes.map(String).reverse()
  return bytes.flatMap((b) => [(b >> 4).toString(16), (b & 15).toString(16)]).reverse()
}

/** Keep the first `prefix` bits, clear the host bits. */
function masked(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const kept = Math.min(8, Math.max(0, prefix - 8 * i))
    return b & (0xff << (8 - kept)) & 0xff
  })
}

function toBigInt(bytes: readonly number[]): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n)
}

function fromBigInt(n: bigint, length: number): number[] {
  return Array.from({ length }, (_, i) => Number((n >> BigInt(8 * (length - 1 - i))) & 255n))
}
