// For rewrite's tests: a handler built from Corefile lines, queries with any EDNS options, and a
// next plugin that records what it was asked and answers like CoreDNS's mockDnsResponder.

import dnsPacket from 'dns-packet'
import type { DecodedPacket, PacketOpt } from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import { packetName, replyMsg } from '../../src/plugin/msg.ts'
import type {
  Addr, Handler, HandlerResult, Msg, Request, RequestContext, ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { className } from '../../src/plugin/rrtype.ts'
import { parseQuery, WireRequest } from '../../src/wire/request.ts'
import { Recorder, testContext } from '../../test/dnstest.ts'
import { RewriteHandler } from './rewrite.ts'
import { parseRewrite } from './setup.ts'

export interface QueryOptions {
  readonly class?: string
  /** EDNS options of the query's OPT; `edns: false` sends no OPT at all. */
  readonly options?: ReadonlyArray<{ readonly code: number; readonly data: Uint8Array }>
  readonly edns?: boolean
  readonly proto?: 'udp' | 'tcp'
}

export function query(name: string, type = 'A', opts: QueryOptions = {}): Request {
  const edns = opts.edns ?? opts.options !== undefined
  const wire = dnsPacket.encode({
    id: 4321,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as never, class: (opts.class ?? 'IN') as never }],
    additionals: edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: opts.options ?? [] } as never]
      : [],
  })
  const r = parseQuery(wire, opts.proto ?? 'udp')
  if (!(r instanceof WireRequest)) throw new Error(`not a query: ${name}`)
  return r
}

/** What the next plugin answers: a message, bytes, or an rcode without writing. */
export type Answer = (r: Request) => Msg | Uint8Array | number

/** One A record (TTL 300) for the name asked, as CoreDNS's mockDnsResponder. */
export const echoA: Answer = (r) => {
  const m = replyMsg(r, 0, 0x8000)
  const klass = className(r.class) as never
  m.answers = [{ name: packetName(r.qname), type: 'A', class: klass, ttl: 300, data: '127.0.0.1' }]
  return m
}

export interface Outcome {
  /** What the next plugin saw, if it was reached. */
  readonly seen: Request | undefined
  readonly w: Recorder
  readonly rc: number
  /** The reply the client gets, decoded. */
  readonly reply: Reply
}

/** dns-packet decodes the rcode name too; its types leave it out. */
export type Reply = DecodedPacket & { readonly rcode?: string }

export interface Built {
  readonly h: Handler
  /** The request and writer the next plugin got. */
  readonly seen: () => Request | undefined
  readonly seenWriter: () => ResponseWriter | undefined
}

export function rewriteHandler(lines: string, answer: Answer = echoA): Built {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${lines}\n}\n` })
  const rules = parseRewrite(blocks[0]!.directives.filter((d) => d.name.text === 'rewrite'))
  let seen: Request | undefined
  let seenWriter: ResponseWriter | undefined
  const next: Handler = {
    name: 'test',
    serveDNS(_ctx, w, r): HandlerResult {
      seen = r
      seenWriter = w
      const a = answer(r)
      if (typeof a === 'number') return a
      if (a instanceof Uint8Array) w.write(a, 'test')
      else w.writeMsg({ ...a, id: r.id, type: 'response' }, 'test')
      return 0
    },
  }
  return { h: new RewriteHandler(rules, next), seen: () => seen, seenWriter: () => seenWriter }
}

export async function run(
  lines: string,
  r: Request,
  answer: Answer = echoA,
  opts: { ctx?: RequestContext; remote?: Addr } = {},
): Promise<Outcome> {
  const { h, seen } = rewriteHandler(lines, answer)
  const w = new Recorder(opts.remote, r.proto)
  const rc = await h.serveDNS(opts.ctx ?? testContext, w, r)
  return { seen: seen(), w, rc, reply: w.wire ? w.msg : ({} as DecodedPacket) }
}

export function optionsOf(r: Request): PacketOpt[] {
  const opt = r.msg.additionals?.find((a) => a.type === 'OPT') as
    | { options?: PacketOpt[] }
    | undefined
  return opt?.options ?? []
}
