// bufsize: caps the EDNS UDP size a client advertises (CoreDNS plugin/bufsize), so that
// upstreams see the smaller size and replies to the client are truncated to it instead of being
// fragmented. Queries without EDNS are left alone.

import { nextOrFailure, type Handler } from '../../src/plugin/plugin.ts'
import { WireRequest } from '../../src/wire/request.ts'

export function bufsizeHandler(size: number, next: Handler | undefined): Handler {
  return {
    name: 'bufsize',
    serveDNS(ctx, w, r) {
      // The server's own request: changed in place, as CoreDNS does, so its writer sees it too.
      if (r instanceof WireRequest) r.limitUdpSize(size)
      return nextOrFailure('bufsize', next, ctx, w, r)
    },
  }
}
