// metadata: turns on per-request metadata (CoreDNS plugin/metadata). Each query gets a fresh
// store before the rest of the chain runs (metadata is second in the chain, as CoreDNS collects
// before the chain), unless the block's view filter already made it (CoreDNS collects before the
// filter); plugins publish labels into it and log's `{/LABEL}` reads them. Providers (provide())
// add theirs only for queries in ZONES.

import { ensureCollected } from '../../src/plugin/metadata.ts'
import { nextOrFailure, type Handler } from '../../src/plugin/plugin.ts'

/** `block`: the server block the plugin is in (SetupContext.block), which its view shares. */
export function metadataHandler(zones: readonly string[], block: object, next: Handler | undefined): Handler {
  return {
    name: 'metadata',
    serveDNS(ctx, w, r) {
      ensureCollected(r, zones, block)
      return nextOrFailure('metadata', next, ctx, w, r)
    },
  }
}
