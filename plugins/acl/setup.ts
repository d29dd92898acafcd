import { args } from '../../src/corefile/args.ts'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import { definePlugin, type SetupContext } from '../../src/plugin/plugin.ts'
import { typeCode } from '../../src/plugin/rrtype.ts'
import { AclHandler, type AclRule, type Action, type Policy } from './acl.ts'
import { Networks, parseNetwork } from '../../src/dns/networks.ts'

const ACTIONS = new Set(['allow', 'block', 'filter', 'drop'])

function fail(t: Token, detail: string): CorefileError {
  return new CorefileError('COREFILE_VALUE', t, detail, 'acl')
}

const isSection = (t: Token) => t.text.toLowerCase() === 'type' || t.text.toLowerCase() === 'net'

/** `ACTION [type QTYPE...|*] [net SOURCE...|*]`; a missing section matches everything. */
function parsePolicy(line: Directive): Policy {
  const action = line.name.text.toLowerCase()
  if (!ACTIONS.has(action)) {
    throw fail(
      line.name,
      `unexpected token ${JSON.stringify(line.name.text)}; ` +
        "expect 'allow', 'block', 'filter' or 'drop'",
    )
  }
  let types: Set<number> | undefined
  let sources: Networks | undefined
  const rest = args(line, 0, Infinity, 'acl')
  for (let i = 0; i < rest.length;) {
    const head = rest[i]!
    if (!isSection(head))
      throw fail(head, `unexpected token ${JSON.stringify(head.text)}; expect 'type | net'`)
    let j = i + 1
    while (j < rest.length && !isSection(rest[j]!)) j++
    const tokens = rest.slice(i + 1, j)
    const section = head.text.toLowerCase()
    if (tokens.length === 0)
      throw fail(head, `no token specified in ${JSON.stringify(section)} section`)
    if (section === 'type') {
      types ??= new Set()
      for (const t of tokens) {
        if (t.text === '*') {
          types.add(-1)
          break
        }
        const code = typeCode(t.text)
        if (code === undefined)
          throw fail(t, `unexpected token ${JSON.stringify(t.text)}; expect legal QTYPE`)
        types.add(code)
      }
    } else {
      sources ??= new Networks()
      for (const t of tokens) {
        if (t.text === '*') {
          sources.addAll()
          break
        }
        const net = parseNetwork(t.text)
        if (net === undefined) throw fail(t, `illegal CIDR notation ${JSON.stringify(t.text)}`)
        sources.add(net)
      }
    }
    i = j
  }
  if (sources === undefined) {
    sources = new Networks()
    sources.addAll()
  }
  return {
    action: action as Action,
    types: types === undefined || types.has(-1) ? undefined : types,
    sources,
  }
}

/** `acl [ZONES...] { ACTION ... }`; several stanzas are tried in order. */
export function parseAcl(
  stanzas: readonly Directive[],
  ctx: Pick<SetupContext, 'zones'>,
): AclRule[] {
  return stanzas.map((d) => ({
    zones: d.args.length > 0 ? normalizeZones(d.args, 'acl') : [...ctx.zones],
    policies: (d.block ?? []).map(parsePolicy),
  }))
}

export default definePlugin<AclRule[]>({
  name: 'acl',
  parse: parseAcl,
  setup(rules) {
    return (next, chain) => new AclHandler(rules, next, chain)
  },
})
