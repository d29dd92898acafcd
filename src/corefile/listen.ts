// The addresses a server block listens on, as its `bind` lines say (CoreDNS: the ListenHosts that
// plugin/bind sets). Shared by the bind plugin and by keys.ts, which checks at load time that no
// two blocks serve one zone on one address (core/dnsserver/register.go).

import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import { lineArgs } from './args.ts'
import type { Directive, ServerBlock, Token } from './ast.ts'

/** An IP is itself; an interface name is every address it has now; anything else is undefined. */
function addressesOf(word: string): readonly string[] | undefined {
  if (isIP(word)) return [word]
  // an IPv6 link-local address only binds with its zone, as CoreDNS lists it (fe80::1%eth0)
  return networkInterfaces()[word]?.map((a) =>
    a.family === 'IPv6' && /^fe[89ab]/i.test(a.address) ? `${a.address}%${word}` : a.address)
}

/**
 * The addresses of `bind` directives: every argument, less the `except` ones, without repeats.
 * A word that is neither an IP nor an interface goes to `bad` and is left out.
 */
export function bindAddresses(
  binds: readonly Directive[],
  bad: (t: Token) => void = () => {},
): string[] {
  const resolve = (t: Token): readonly string[] => {
    const found = addressesOf(t.text)
    if (found === undefined) bad(t)
    return found ?? []
  }
  // an `except` applies to the addresses of its own bind line (CoreDNS)
  const hosts = binds.flatMap((d) => {
    const excepts = (d.block ?? []).filter((o) => o.name.text === 'except')
    const except = new Set(excepts.flatMap((o) => lineArgs(o).flatMap(resolve)))
    return d.args.flatMap(resolve).filter((h) => !except.has(h))
  })
  return [...new Set(hosts)]
}

/** The block's listen addresses; `''` (every address) when it has no bind. */
export function listenHosts(block: ServerBlock): readonly string[] {
  const binds = block.directives.filter((d) => d.name.text === 'bind')
  return binds.length === 0 ? [''] : bindAddresses(binds)
}
