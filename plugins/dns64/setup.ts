import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, nextArgs, options, unknownProperty } from '../../src/corefile/args.ts'
import { parseCidr } from '../../src/dns/cidr.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { Dns64Handler, type Dns64Config } from './dns64.ts'
import { translated } from './metrics.ts'

/** The well-known prefix of RFC 6052. */
const DEFAULT_PREFIX = '64:ff9b::/96'

/** An IPv6 network whose length RFC 6052 allows: 32, 40, 48, 56, 64 or 96. */
function prefix(t: Token): Pick<Dns64Config, 'prefix' | 'prefixLength'> {
  const net = parseCidr(t.text)
  if (net === undefined) {
    throw new CorefileError('COREFILE_VALUE', t, `invalid CIDR address: ${t.text}`, 'dns64')
  }
  if (net.bytes.length !== 16) {
    const detail = `invalid netmask ${net.bytes.length * 8} IPv6 address: "${t.text}"`
    throw new CorefileError('COREFILE_VALUE', t, detail, 'dns64')
  }
  if (net.prefix % 8 !== 0 || net.prefix < 32 || net.prefix > 96) {
    const detail = `invalid prefix length "${t.text}", expecting /32, /40, /48, /56, /64 or /96`
    throw new CorefileError('COREFILE_VALUE', t, detail, 'dns64')
  }
  return { prefix: net.bytes, prefixLength: net.prefix }
}

/** `dns64 [PREFIX] { prefix PREFIX; translate_all; allow_ipv4 }` */
export function parseDns64(stanzas: readonly Directive[]): Dns64Config {
  let cfg: Dns64Config = {
    prefix: parseCidr(DEFAULT_PREFIX)!.bytes,
    prefixLength: 96,
    translateAll: false,
    allowIPv4: false,
  }
  for (const d of stanzas) {
    const [p] = args(d, 0, 1, 'dns64')
    if (p !== undefined) cfg = { ...cfg, ...prefix(p) }
    for (const opt of options(d.block)) {
      switch (opt.name.text) {
        case 'prefix': {
          const [t] = nextArgs(opt, 1, 'dns64') as [Token]
          cfg = { ...cfg, ...prefix(t) }
          break
        }
        case 'translate_all':
          nextArgs(opt, 0, 'dns64')
          cfg = { ...cfg, translateAll: true }
          break
        case 'allow_ipv4':
          nextArgs(opt, 0, 'dns64')
          cfg = { ...cfg, allowIPv4: true }
          break
        default:
          throw unknownProperty(opt, 'dns64')
      }
    }
  }
  return cfg
}

export default definePlugin<Dns64Config>({
  name: 'dns64',
  parse: parseDns64,
  setup(cfg) {
    return (next, chain) => new Dns64Handler(cfg, next, translated.child({ server: chain.server }))
  },
})
