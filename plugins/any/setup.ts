import { noArgs, noBlock } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { anyHandler } from './any.ts'

export default definePlugin<null>({
  name: 'any',
  // CoreDNS checks the first stanza only and ignores any later one (no ErrOnce).
  parse(stanzas) {
    noArgs(stanzas[0]!, 'any')
    noBlock(stanzas[0]!, 'any')
    return null
  },
  setup() {
    return (next) => anyHandler(next)
  },
})
