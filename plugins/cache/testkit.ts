// For the cache's tests: a cache configured from Corefile text, a clock the test moves, a
// scripted next plugin, and replies written as zone-file records.

import dnsPacket from 'dns-packet'
import type { Answer as Record, DecodedPacket } from 'dns-packet'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { Directive } from '../../src/corefile/ast.ts'
import type {
  Handler, HandlerResult, Msg, Request, ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { replyMsg } from '../../src/plugin/msg.ts'
import { Flag } from '../../src/wire/message.ts'
import { type QueryOpts, Recorder, request, testContext } from '../../test/dnstest.ts'
import { rr } from '../../test/helpers/rr.ts'
import { Cache } from './cache.ts'
import { CacheHandler } from './handler.ts'
import { type CacheCells, cacheCells } from './metrics.ts'
import { parseCache } from './setup.ts'

/** The `cache` directive of a one-block Corefile whose body is `text`. */
export function cacheDirective(text: string): Directive {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${text}\n}\n` })
  const d = blocks[0]!.directives.find((x) => x.name.text === 'cache')
  if (d === undefined) throw new Error(`no cache directive in: ${text}`)
  return d
}

/** A message, finished bytes, or an rcode returned without writing. */
export type Answer = Msg | Uint8Array | number
export type Script = (r: Request) => Answer | Promise<Answer>

/** The next plugin, answering as `script` says. */
class Upstream implements Handler {
  readonly name = 'forward'
  readonly queries: Request[] = []
  script: Script

  constructor(script: Script) {
    this.script = script
  }

  serveDNS(_ctx: unknown, w: ResponseWriter, r: Request): HandlerResult {
    this.queries.push(r)
    const out = this.script(r)
    return out instanceof Promise ? out.then((m) => send(w, m)) : send(w, out)
  }
}

function send(w: ResponseWriter, a: Answer): number {
  if (typeof a === 'number') return a
  if (a instanceof Uint8Array) w.write(a, 'forward')
  else w.writeMsg(a, 'forward')
  return 0
}

/**
 * The reply real servers send: the answer's owner a compression pointer to the question, one A
 * record with `ttl`.
 */
export function compressedA(r: Request, ttl: number): Uint8Array {
  const out = new Uint8Array(r.questionEnd + 16)
  out.set(r.wire.subarray(0, r.questionEnd))
  const ttlBytes = [ttl >>> 24, (ttl >>> 16) & 0xff, (ttl >>> 8) & 0xff, ttl & 0xff]
  out.set([0xc0, 0x0c, 0, 1, 0, 1, ...ttlBytes, 0, 4, 192, 0, 2, 1], r.questionEnd)
  out[2] = 0x81 // QR, RD
  out[3] = 0x80 // RA
  out[7] = 1 // ANCOUNT
  out[11] = 0 // no OPT
  return out
}

export interface ReplyOpts {
  readonly rcode?: number
  readonly authority?: readonly string[]
  readonly additional?: readonly Record[]
  /** Header flags besides QR/RD/CD and rcode (RA is set unless `flags` is given). */
  readonly flags?: number
}

/** A reply to `r` (question echoed as sent) with records in zone-file syntax. */
export function reply(r: Request, answers: readonly string[], o: ReplyOpts = {}): Msg {
  const m = replyMsg(r, o.rcode ?? 0, o.flags ?? Flag.RA)
  m.answers = answers.map(rr)
  m.authorities = (o.authority ?? []).map(rr)
  m.additionals = [...(o.additional ?? [])]
  return m
}

export const SOA =
  'example.org. 300 IN SOA ns.example.org. admin.example.org. 1 7200 3600 1209600 60'

let servers = 0

/** The default upstream: every name has one A record, TTL 300. */
function address(r: Request): Msg {
  return reply(r, [`${r.qname} 300 IN A 192.0.2.1`])
}

export interface Asked {
  readonly rc: number
  readonly w: Recorder
  readonly msg: DecodedPacket
  /** Rcode name as dns-packet decodes it. */
  readonly rcode: string
  /** Rdata of the answer section. */
  readonly data: unknown[]
  /** TTL of every record in the reply, answer/authority/additional in order (OPT excluded). */
  readonly ttls: number[]
}

/** One cache in the chain before an Upstream, with its own metric cells and a test clock. */
export class Harness {
  now = 1_800_000_000_000
  readonly cache: Cache
  readonly up: Upstream
  readonly h: CacheHandler
  readonly cells: CacheCells
  /** The server label of its metrics. */
  readonly server = `dns://test-${++servers}:53`

  constructor(corefile = 'cache', script: Script = address) {
    const cfg = parseCache([cacheDirective(corefile)], { zones: ['.'] })
    this.cache = new Cache(cfg, () => this.now)
    this.up = new Upstream(script)
    this.cells = cacheCells(this.server, cfg.zones.join(','))
    this.h = new CacheHandler(this.cache, this.up, this.cells)
  }

  advance(seconds: number): void {
    this.now += seconds * 1000
  }

  async ask(name: string, type = 'A', opts: QueryOpts = {}): Promise<Asked> {
    const w = new Recorder()
    const rc = await this.h.serveDNS(testContext, w, request(name, type, opts))
    const msg = w.msg
    const records = [...(msg.answers ?? []), ...(msg.authorities ?? []), ...(msg.additionals ?? [])]
    const ttls = records.filter((a) => a.type !== 'OPT')
      .map((a) => (a as { ttl?: number }).ttl ?? -1)
    const rcode = (msg as { rcode?: string }).rcode ?? ''
    const data = (msg.answers ?? []).map((a) => (a as { data?: unknown }).data)
    return { rc, w, msg, rcode, data, ttls }
  }
}

/** The header flags word of a written reply. */
export function flagsOf(w: Recorder): number {
  return dnsPacket.decode(Buffer.from(w.wire!)).flags ?? 0
}
