// nsid: the Name Server Identifier (RFC 5001, CoreDNS plugin/nsid). When a query's OPT carries
// an NSID option, the reply's OPT gets one with this server's identifier; other queries pass
// untouched.

import { WrappedWriter } from '../../src/dns/writer.ts'
import {
  nextOrFailure,
  type Handler,
  type Request,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { layout } from '../../src/wire/message.ts'
import { skipName } from '../../src/wire/name.ts'
import {
  encodeOpt,
  hasOption,
  isEchoedOption,
  OPTION_NSID,
  readOptHeader,
  readOptions,
  withOpt,
} from '../../src/wire/opt.ts'

/** Where the TTL field of the request's OPT is (`r.edns` set). */
const optTtl = (r: Request): number => skipName(r.wire, r.edns!.offset) + 4

function askedForNsid(r: Request): boolean {
  return r.edns !== undefined && hasOption(r.wire, optTtl(r), OPTION_NSID)
}

/**
 * The reply with exactly one NSID option (`data`) in its OPT. A reply without an OPT gets the
 * request's, with the options the server echoes (its cookie...), as CoreDNS does.
 */
function withNsid(reply: Uint8Array, data: Uint8Array, r: Request): Uint8Array {
  let l
  try {
    l = layout(reply)
  } catch {
    return reply // not ours to repair: the server's scrub passes it as it is
  }
  const ttlOff = l.opt >= 0 ? l.ttls[l.opt]! : -1
  const header = ttlOff >= 0 ? readOptHeader(reply, ttlOff) : { udpSize: r.edns!.udpSize, ttl: 0 }
  const kept = ttlOff >= 0
    ? readOptions(reply, ttlOff)
    : readOptions(r.wire, optTtl(r)).filter((o) => isEchoedOption(o.code))
  const options = kept.filter((o) => o.code !== OPTION_NSID)
  options.push({ code: OPTION_NSID, data })
  return withOpt(reply, l, encodeOpt(header, options))
}

class NsidWriter extends WrappedWriter {
  readonly #data: Uint8Array
  readonly #request: Request

  constructor(w: ResponseWriter, data: Uint8Array, request: Request) {
    super(w)
    this.#data = data
    this.#request = request
  }

  override write(wire: Uint8Array, by: string): void {
    this.inner.write(withNsid(wire, this.#data, this.#request), by)
  }
}

export function nsidHandler(data: Uint8Array, next: Handler | undefined): Handler {
  return {
    name: 'nsid',
    serveDNS(ctx, w, r) {
      if (!askedForNsid(r)) return nextOrFailure('nsid', next, ctx, w, r)
      return nextOrFailure('nsid', next, ctx, new NsidWriter(w, data, r), r)
    },
  }
}
