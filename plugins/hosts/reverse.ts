// The address a reverse name stands for (CoreDNS dnsutil.ExtractAddressFromReverse), as the
// bytes hosts entries are keyed by: 4.3.2.1.in-addr.arpa. is 1.2.3.4, 32 nibbles under ip6.arpa.
// an IPv6 address (an IPv4-mapped one is its IPv4 address, as Go prints it).

import { ipv4Bytes, unmap } from '../../src/dns/ip.ts'

const V4 = '.in-addr.arpa.'
const V6 = '.ip6.arpa.'

export function reverseAddress(name: string): Uint8Array | undefined {
  if (name.endsWith(V4)) return ipv4Bytes(name.slice(0, -V4.length).split('.').reverse().join('.'))
  if (!name.endsWith(V6)) return undefined
  const nibbles = name.slice(0, -V6.length).split('.').reverse()
  if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined
  return unmap(Uint8Array.from(Buffer.from(nibbles.join(''), 'hex')))
}

/** A map key for an address. */
export function addressKey(ip: Uint8Array): string {
  return Buffer.from(ip.buffer, ip.byteOffset, ip.length).toString('hex')
}
