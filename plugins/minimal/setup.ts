import { noArgs, noBlock } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { minimalHandler } from './minimal.ts'

export default definePlugin<null>({
  name: 'minimal',
  // CoreDNS reads the first stanza's arguments only, and no block
  parse(stanzas) {
    noArgs(stanzas[0]!, 'minimal')
    noBlock(stanzas[0]!, 'minimal')
    return null
  },
  setup() {
    return (next) => minimalHandler(next)
  },
})
