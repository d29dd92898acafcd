import type { Addr } from '../plugin/plugin.ts'

/** A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; metrics and logs want a.b.c.d. */
export function peer(address: string, port: number): Addr {
  const a = unmapped(address)
  return { address: a, port, family: familyOf(a) }
}

/** `address` without the ::ffff: of an IPv4 peer of a dual-stack socket. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

export function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4
}
