// In-process handler testing (after CoreDNS's dnstest.Recorder): build a Request as the server
// would, run a Handler, and look at what it wrote.

import dnsPacket from 'dns-packet'
import type { Addr, Handler, Msg, Request, RequestContext, ResponseWriter } from '../src/plugin/plugin.ts'
import { encodeMsg } from '../src/plugin/msg.ts'
import { rcodeOf } from '../src/wire/message.ts'
import { parseQuery, WireRequest } from '../src/wire/request.ts'

export interface QueryOpts {
  readonly id?: number
  readonly class?: string
  readonly proto?: 'udp' | 'tcp'
  readonly udpSize?: number
  readonly do?: boolean
  readonly cd?: boolean
}

export function request(name: string, type = 'A', opts: QueryOpts = {}): Request {
  const wire = dnsPacket.encode({
    id: opts.id ?? 1234,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED | (opts.cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type: type as never, class: (opts.class ?? 'IN') as never }],
    additionals:
      opts.udpSize !== undefined || opts.do
        ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.udpSize ?? 4096, flags: opts.do ? dnsPacket.DNSSEC_OK : 0 } as never]
        : [],
  })
  const r = parseQuery(wire, opts.proto ?? 'udp')
  if (!(r instanceof WireRequest)) throw new Error(`not a valid query: ${name} ${type}`)
  return r
}

export class Recorder implements ResponseWriter {
  readonly proto: 'udp' | 'tcp'
  readonly local: Addr = { address: '127.0.0.1', port: 53, family: 4 }
  readonly remote: Addr
  wire: Uint8Array | undefined
  by = ''
  writes = 0

  constructor(remote: Addr = { address: '10.240.0.1', port: 40212, family: 4 }, proto: 'udp' | 'tcp' = 'udp') {
    this.remote = remote
    this.proto = proto
  }

  write(wire: Uint8Array, by: string): void {
    this.writes++
    this.wire = wire
    this.by = by
  }

  writeMsg(msg: Msg, by: string): void {
    this.write(encodeMsg(msg), by)
  }

  get sent(): number {
    return this.wire?.length ?? 0
  }

  get rcode(): number {
    return this.wire ? rcodeOf(this.wire) : -1
  }

  get msg(): dnsPacket.DecodedPacket {
    if (!this.wire) throw new Error('nothing was written')
    return dnsPacket.decode(Buffer.from(this.wire))
  }
}

export const testContext: RequestContext = {
  server: 'dns://:53',
  zone: '.',
  resolve: () => Promise.reject(new Error('resolve is not available in this test')),
}

/** A next handler that always answers `rcode` without writing (or writes, for NOERROR-like codes). */
export function nextHandler(rcode: number): Handler {
  return {
    name: 'test',
    serveDNS: () => rcode,
  }
}
