// nsid: the Name Server Identifier (RFC 5001, CoreDNS plugin/nsid). When a query's OPT carries
// an NSID option, the reply's OPT gets one with this server's identifier; other queries pass
// untouched.

import { encodeMsg } from '../../src/plugin/msg.ts'
import {
  nextOrFailure,
  type Addr,
  type Handler,
  type Msg,
  type Request,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { layout } from '../../src/wire/message.ts'
import { skipName } from '../../src/wire/name.ts'
import {
  encodeOpt,
  hasOption,
  OPTION_NSID,
  readOptHeader,
  readOptions,
  withOpt,
} from '../../src/wire/opt.ts'

function askedForNsid(r: Request): boolean {
  const e = r.edns
  return e !== undefined && hasOption(r.wire, skipName(r.wire, e.offset) + 4, OPTION_NSID)
}

/** The reply with exactly one NSID option (`data`) in its OPT, which is added when missing. */
export function withNsid(reply: Uint8Array, data: Uint8Array, udpSize: number): Uint8Array {
  let l
  try {
    l = layout(reply)
  } catch {
    return reply // not ours to repair: the server's scrub passes it as it is
  }
  const ttlOff = l.opt >= 0 ? l.ttls[l.opt]! : -1
  const header = ttlOff >= 0 ? readOptHeader(reply, ttlOff) : { udpSize, ttl: 0 }
  const kept = ttlOff >= 0 ? readOptions(reply, ttlOff) : []
  const options = kept.filter((o) => o.code !== OPTION_NSID)
  options.push({ code: OPTION_NSID, data })
  return withOpt(reply, l, encodeOpt(header, options))
}

class NsidWriter implements ResponseWriter {
  readonly #w: ResponseWriter
  readonly #data: Uint8Array
  readonly #udpSize: number

  constructor(w: ResponseWriter, data: Uint8Array, udpSize: number) {
    this.#w = w
    this.#data = data
    this.#udpSize = udpSize
  }

  get proto(): 'udp' | 'tcp' {
    return this.#w.proto
  }

  get local(): Addr {
    return this.#w.local
  }

  get remote(): Addr {
    return this.#w.remote
  }

  write(wire: Uint8Array, by: string): void {
    this.#w.write(withNsid(wire, this.#data, this.#udpSize), by)
  }

  writeMsg(msg: Msg, by: string): void {
    this.write(encodeMsg(msg), by)
  }
}

export function nsidHandler(data: Uint8Array, next: Handler | undefined): Handler {
  return {
    name: 'nsid',
    serveDNS(ctx, w, r) {
      if (!askedForNsid(r)) return nextOrFailure('nsid', next, ctx, w, r)
      return nextOrFailure('nsid', next, ctx, new NsidWriter(w, data, r.edns!.udpSize), r)
    },
  }
}
