import type { Directive } from '../../src/corefile/ast.ts'
import { noOptions } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { version } from '../../src/cli/version.ts'
import { chaosHandler, trimTxt, type ChaosConfig } from './chaos.ts'

/** What authors.bind says when the Corefile names nobody. */
const DEFAULT_AUTHORS = ['tsdns']

/** `chaos [VERSION [AUTHORS...]]`: authors deduplicated and sorted, as CoreDNS does. */
export function parseChaos(d: Directive): ChaosConfig {
  noOptions(d, 'chaos')
  const [v, ...authors] = d.args.map((t) => trimTxt(t.text))
  return {
    version: v ?? `tsdns-${version}`,
    authors: authors.length === 0 ? DEFAULT_AUTHORS : [...new Set(authors)].sort(),
  }
}

export default definePlugin<ChaosConfig>({
  name: 'chaos',
  // CoreDNS reads only the first stanza and ignores any later one (no ErrOnce): a second
  // `chaos` line, e.g. from an imported snippet, must not stop the server from loading.
  parse(stanzas) {
    return parseChaos(stanzas[0]!)
  },
  setup(cfg) {
    return (next) => chaosHandler(cfg, next)
  },
})
