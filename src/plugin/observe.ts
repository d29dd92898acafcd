// Plugins that look at a query after the rest of the chain answered it (log, prometheus) need the
// final status however the chain ended: a number, a promise, a throw or a rejection. One helper,
// so the synchronous path stays free of closures and each plugin only says what to record.

import { nextOrFailure, PluginError, type Handler, type HandlerResult, type Request, type RequestContext, type ResponseWriter } from './plugin.ts'
import { Rcode } from './rcode.ts'

export interface Observer {
  /** The chain's status, or for a thrown error the rcode the server answers it with. */
  done(status: number): void
}

/** The rcode a failure is answered with: a returned error's own, anything else SERVFAIL. */
export function failureRcode(err: unknown): number {
  return err instanceof PluginError ? err.rcode : Rcode.ServFail
}

/** nextOrFailure, reporting the outcome to `obs` before passing it on unchanged. */
export function observeNext(
  name: string,
  next: Handler | undefined,
  ctx: RequestContext,
  w: ResponseWriter,
  r: Request,
  obs: Observer,
): HandlerResult {
  let rc: HandlerResult
  try {
    rc = nextOrFailure(name, next, ctx, w, r)
  } catch (err) {
    obs.done(failureRcode(err))
    throw err
  }
  if (typeof rc === 'number') {
    obs.done(rc)
    return rc
  }
  return observeLater(rc, obs)
}

/**
 * The asynchronous end, apart from observeNext: a function holding closures allocates their
 * context on every call, the synchronous ones included.
 */
function observeLater(rc: Promise<number>, obs: Observer): Promise<number> {
  return rc.then(
    (status) => {
      obs.done(status)
      return status
    },
    (err: unknown) => {
      obs.done(failureRcode(err))
      throw err
    },
  )
}
