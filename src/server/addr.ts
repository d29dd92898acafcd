import type { Addr } from '../plugin/plugin.ts'

/** A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; metrics and logs want a.b.c.d. */
export function peer(address: string, port: number): Addr {
  if (address.startsWith('::ffff:') && address.includes('.')) {
    return { address: address.slice(7), port, family: 4 }
  }
  return { address, port, family: address.includes(':') ? 6 : 4 }
}
