import { noArgs, noBlock } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { whoami } from './whoami.ts'

export default definePlugin<null>({
  name: 'whoami',
  // CoreDNS checks the first stanza only and ignores any later one (no ErrOnce).
  parse(stanzas) {
    noArgs(stanzas[0]!, 'whoami')
    noBlock(stanzas[0]!, 'whoami')
    return null
  },
  setup() {
    return () => whoami
  },
})
