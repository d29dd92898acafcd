// metadata [ZONES...]: the block's zones by default (parseMetadata, shared with view).

import { parseMetadata } from '../../src/plugin/metadata.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { metadataHandler } from './metadata.ts'

export default definePlugin<readonly string[]>({
  name: 'metadata',
  once: true,
  parse: (stanzas, ctx) => parseMetadata(stanzas, ctx.zones),
  setup(zones, ctx) {
    return (next) => metadataHandler(zones, ctx.block, next)
  },
})
