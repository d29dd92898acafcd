// local [{ localhost_prefix on|off }]: every stanza is read, as CoreDNS's setup reads them all;
// a later `localhost_prefix` wins.

import type { Directive } from '../../src/corefile/ast.ts'
import { args, noArgs, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { localHandler, type LocalOptions } from './local.ts'

export function parseLocal(stanzas: readonly Directive[]): LocalOptions {
  let localhostPrefix = true
  for (const d of stanzas) {
    noArgs(d, 'local')
    for (const opt of d.block ?? []) {
      if (opt.name.text !== 'localhost_prefix') throw unknownProperty(opt, 'local')
      const [v] = args(opt, 1, 1, 'local')
      if (v!.text !== 'on' && v!.text !== 'off') {
        const detail = `localhost_prefix expects 'on' or 'off', got "${v!.text}"`
        throw new CorefileError('COREFILE_VALUE', v!, detail, 'local')
      }
      localhostPrefix = v!.text === 'on'
    }
  }
  return { localhostPrefix }
}

export default definePlugin<LocalOptions>({
  name: 'local',
  parse: parseLocal,
  setup(opts, ctx) {
    return (next) => localHandler(opts, ctx.log, next)
  },
})
