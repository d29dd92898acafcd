// metadata: turns on per-request metadata (CoreDNS plugin/metadata). Each query gets a fresh
// store before the rest of the chain runs (metadata is second in the chain, as CoreDNS collects
// before the chain); plugins publish labels into it and log's `{/LABEL}` reads them. Providers
// (provide()) add theirs only for queries in ZONES.

import { Metadata } from '../../src/plugin/metadata.ts'
import { nextOrFailure, type Handler } from '../../src/plugin/plugin.ts'
import { matchZone } from '../../src/plugin/zones.ts'
import { WireRequest } from '../../src/wire/request.ts'

export function metadataHandler(zones: readonly string[], next: Handler | undefined): Handler {
  return {
    name: 'metadata',
    serveDNS(ctx, w, r) {
      if (r instanceof WireRequest) {
        r.metadata = new Metadata(matchZone(zones, r.name) !== undefined)
      }
      return nextOrFailure('metadata', next, ctx, w, r)
    },
  }
}
