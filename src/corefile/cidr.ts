// CIDR server keys and zone arguments become reverse zones, as in coredns plugin/pkg/cidr and
// plugin.SplitHostPort: the prefix is rounded up to the next label boundary (8 bits for IPv4, one
// 4-bit nibble for IPv6) and the network is split into as many subnets, one reverse zone each.
// 10.0.0.0/15 -> 0.10.in-addr.arpa. and 1.10.in-addr.arpa.

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
  const bytes = parseIPv4(address) ?? parseIPv6(address)
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

/** Dotted decimal, no leading zeros (Go's netip.ParseAddr). */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    return undefined
  }
  return parts.map(Number)
}

/** RFC 4291 text: eight groups, one `::` standing for at least one zero group, IPv4 at the end. */
function parseIPv6(text: string): number[] | undefined {
  const ellipsis = text.indexOf('::')
  if (ellipsis !== text.lastIndexOf('::')) return undefined
  if (ellipsis === -1) {
    const groups = parseGroups(text, true)
    return groups?.length === 8 ? groupBytes(groups) : undefined
  }
  const head = parseGroups(text.slice(0, ellipsis), false)
  const tail = parseGroups(text.slice(ellipsis + 2), true)
  if (!head || !tail || head.length + tail.length > 7) return undefined
  return groupBytes([...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail])
}

function parseGroups(text: string, ipv4Last: boolean): number[] | undefined {
  if (text === '') return []
  const fields = text.split(':')
  const groups: number[] = []
  for (const [i, field] of fields.entries()) {
    const v4 = ipv4Last && i === fields.length - 1 ? parseIPv4(field) : undefined
    if (v4) groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
    else if (/^[0-9a-f]{1,4}$/i.test(field)) groups.push(parseInt(field, 16))
    else return undefined
  }
  return groups
}

function groupBytes(groups: number[]): number[] {
  return groups.flatMap((g) => [g >> 8, g & 255])
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
