// metadata [ZONES...]: the block's zones by default; one stanza, nothing in a block (CoreDNS's
// setup reads one line and fails on any token after it).

import type { Directive } from '../../src/corefile/ast.ts'
import { noBlock } from '../../src/corefile/args.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { metadataHandler } from './metadata.ts'

export function parseMetadata(
  stanzas: readonly Directive[],
  blockZones: readonly string[],
): readonly string[] {
  const d = stanzas[0]! // `once`: a second stanza is refused
  // an empty block passes CoreDNS's check, a line in it does not
  if (d.block !== undefined && d.block.length > 0) noBlock(d, 'metadata')
  return d.args.length > 0 ? normalizeZones(d.args, 'metadata') : blockZones
}

export default definePlugin<readonly string[]>({
  name: 'metadata',
  once: true,
  parse: (stanzas, ctx) => parseMetadata(stanzas, ctx.zones),
  setup(zones, ctx) {
    return (next) => metadataHandler(zones, ctx.block, next)
  },
})
