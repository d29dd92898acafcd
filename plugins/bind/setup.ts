import { rest } from '../../src/corefile/args.ts'
import type { Directive } from '../../src/corefile/ast.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { bindAddresses } from '../../src/corefile/listen.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'

export interface BindConfig {
  readonly hosts: readonly string[]
}

export function parseBind(stanzas: readonly Directive[]): BindConfig {
  for (const d of stanzas) {
    if (d.args.length === 0) {
      const detail = 'at least one address or interface name is expected'
      throw new CorefileError('COREFILE_ARGS', d.name, detail, 'bind')
    }
    // CoreDNS's wording (plugin/bind setup.go parse): `invalid option "x"`, and its own message
    // for an empty except.
    for (const opt of d.block ?? []) {
      if (opt.name.text !== 'except') {
        const detail = `invalid option "${opt.name.text}"`
        throw new CorefileError('COREFILE_UNKNOWN', opt.name, detail, 'bind')
      }
      if (rest(opt, 'bind').length === 0) {
        const detail = 'at least one address or interface must be given to except subdirective'
        throw new CorefileError('COREFILE_ARGS', opt.name, detail, 'bind')
      }
    }
  }
  const hosts = bindAddresses(stanzas, (t) => {
    const detail = `not a valid IP address or interface name: "${t.text}"`
    throw new CorefileError('COREFILE_VALUE', t, detail, 'bind')
  })
  if (hosts.length === 0) {
    const detail = 'all addresses are excluded by except'
    throw new CorefileError('COREFILE_VALUE', stanzas[0]!.name, detail, 'bind')
  }
  return { hosts }
}

export default definePlugin<BindConfig>({
  name: 'bind',
  parse: parseBind,
  setup(cfg, ctx) {
    ctx.listenOn(cfg.hosts)
    return undefined
  },
})
