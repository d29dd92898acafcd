import { noArgs, noBlock } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { anyHandler } from './any.ts'

export default definePlugin<null>({
  name: 'any',
  parse(stanzas) {
    for (const d of stanzas) {
      noArgs(d, 'any')
      noBlock(d, 'any')
    }
    return null
  },
  setup() {
    return (next) => anyHandler(next)
  },
})
