import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { args } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'

export interface BindConfig {
  readonly hosts: readonly string[]
}

/** An IP stays itself; an interface name expands to every address it has now. */
function expand(t: Token): string[] {
  if (isIP(t.text)) return [t.text]
  const iface = networkInterfaces()[t.text]
  if (iface === undefined) {
    throw new CorefileError('COREFILE_VALUE', t, `not a valid IP address or interface name: '${t.text}'`, 'bind')
  }
  return iface.map((a) => a.address)
}

export function parseBind(stanzas: readonly Directive[]): BindConfig {
  const hosts: string[] = []
  const except = new Set<string>()
  for (const d of stanzas) {
    if (d.args.length === 0) {
      throw new CorefileError('COREFILE_ARGS', d.name, 'at least one address or interface name is expected', 'bind')
    }
    for (const t of d.args) hosts.push(...expand(t))
    for (const opt of d.block ?? []) {
      if (opt.name.text !== 'except') {
        throw new CorefileError('COREFILE_UNKNOWN', opt.name, `unknown property '${opt.name.text}'`, 'bind')
      }
      for (const t of args(opt, 1, Infinity, 'bind')) for (const a of expand(t)) except.add(a)
    }
  }
  const kept = [...new Set(hosts)].filter((h) => !except.has(h))
  if (kept.length === 0) {
    throw new CorefileError('COREFILE_VALUE', stanzas[0]!.name, 'all addresses are excluded by except', 'bind')
  }
  return { hosts: kept }
}

export default definePlugin<BindConfig>({
  name: 'bind',
  parse: parseBind,
  setup(cfg, ctx) {
    ctx.listenOn(cfg.hosts)
    return undefined
  },
})
