// cancel: gives each request a deadline (CoreDNS plugin/cancel: a context cancelled after
// TIMEOUT). In CoreDNS 1.14.7 only forward looks at it, before each try of an upstream, so a
// query stops being retried once it is past the deadline: the try under way still runs its read
// timeout, then the client gets SERVFAIL. tsdns's forward reads Request.deadline the same way.
// No timer and no allocation: the deadline is a number on the request.

import { nextOrFailure, type Handler } from '../../src/plugin/plugin.ts'
import { WireRequest } from '../../src/wire/request.ts'

export function cancelHandler(timeoutMs: number, next: Handler | undefined): Handler {
  return {
    name: 'cancel',
    serveDNS(ctx, w, r) {
      if (r instanceof WireRequest) r.deadline = Math.min(r.deadline, Date.now() + timeoutMs)
      return nextOrFailure('cancel', next, ctx, w, r)
    },
  }
}
