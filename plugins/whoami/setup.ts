import { noArgs } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { whoami } from './whoami.ts'

export default definePlugin<null>({
  name: 'whoami',
  once: true,
  parse(stanzas) {
    for (const d of stanzas) noArgs(d, 'whoami')
    return null
  },
  setup() {
    return () => whoami
  },
})
