// One DNS server per listen address (CoreDNS core/dnsserver/server.go): the accept filter, EDNS
// version check, class check, longest-suffix zone routing, and the rcode fallback when the chain
// wrote nothing. Transports (udp.ts, tcp.ts) hand it bytes and a send function.

import { randomInt } from 'node:crypto'
import dnsPacket from 'dns-packet'
import type { Transport } from '../corefile/keys.ts'
import type { Addr, Handler, Msg, Request, RequestContext, TcpOptions, TlsServing, ViewFilter } from '../plugin/plugin.ts'
import { PluginError } from '../plugin/plugin.ts'
import { logLine } from '../plugin/log.ts'
import { packetName } from '../plugin/msg.ts'
import { clientWrote, Rcode } from '../plugin/rcode.ts'
import { Class, packetType, Type } from '../plugin/rrtype.ts'
import { labelEnd } from '../plugin/zones.ts'
import { badVersReply, headerReply, rcodeReply, unpackErrorReply } from '../wire/reply.ts'
import { ACCEPT, acceptHeader, DROP, parseQuery } from '../wire/request.ts'
import { ServerWriter, type Send } from './writer.ts'

/** CoreDNS's Read/Write/IdleTimeout and MaxConnectionQueries; timeouts overrides them. */
const TCP_DEFAULTS: Required<TcpOptions> = {
  readMs: 3000,
  writeMs: 5000,
  idleMs: 10000,
  maxQueries: 0,
}

/** forward's overall deadline is 5 s; an internal query gets a little more. */
const RESOLVE_TIMEOUT_MS = 6000

export interface Route {
  readonly zone: string
  readonly handler: Handler | undefined
  readonly ctx: RequestContext
  /** view: this route serves a query only when the filter passes. */
  readonly view: ViewFilter | undefined
  /** The next block of the same zone, tried when this one's view does not pass. */
  alt: Route | undefined
}

/** Hooks for what never reaches a chain (metrics count it under zone "dropped"). */
export interface ServerObserver {
  dropped(server: string, req: Request, proto: 'udp' | 'tcp', family: 4 | 6, rcode: number, size: number): void
  panic(): void
}

export interface ServerOptions {
  /** dns:// (UDP and TCP) or tls:// (TCP in TLS when `tls` is given, else plain TCP as CoreDNS). */
  readonly transport?: Transport
  /** Listen host ('' for every address) and port. */
  readonly host: string
  readonly port: number
  readonly tls?: TlsServing
  /** multisocket: sockets bound to the address, per protocol. */
  readonly sockets?: number
  /** CoreDNS lets non-IN classes through when chaos or forward is loaded. */
  readonly allowOtherClasses: boolean
  readonly observer?: ServerObserver
  /** timeouts: overrides of TCP_DEFAULTS. */
  readonly tcp?: TcpOptions
}

export class DnsServer {
  readonly transport: Transport
  readonly host: string
  readonly port: number
  readonly tls: TlsServing | undefined
  readonly sockets: number
  /** Metrics `server` label, e.g. `dns://169.254.20.10:53` or `tls://:853`. */
  readonly label: string
  /** What the TCP listener applies to each new connection. */
  readonly tcp: Required<TcpOptions>
  readonly #zones = new Map<string, Route>()
  /**
   * The labels of each zone but the root, deepest first: route() looks a name's suffixes up
   * only at those depths (a pod's search-path name has 6-8 labels, a node-local Corefile's
   * zones 2 at most).
   */
  #depths: number[] = []
  readonly #allowOtherClasses: boolean
  readonly #observer: ServerObserver | undefined

  constructor(opts: ServerOptions) {
    this.transport = opts.transport ?? 'dns'
    this.host = opts.host
    this.port = opts.port
    this.tls = opts.tls
    this.sockets = opts.sockets ?? 1
    this.label = `${this.transport}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`
    this.#allowOtherClasses = opts.allowOtherClasses
    this.#observer = opts.observer
    this.tcp = { ...TCP_DEFAULTS, ...opts.tcp }
  }

  get zones(): readonly string[] {
    return [...this.#zones.keys()]
  }

  /** A block serving `zone`; blocks with views added for one zone are tried in the order added. */
  addZone(zone: string, handler: Handler | undefined, view?: ViewFilter): void {
    const ctx: RequestContext = {
      server: this.label,
      zone,
      resolve: (name, type, opts) => this.resolve(name, type, opts),
    }
    const route: Route = { zone, handler, ctx, view, alt: undefined }
    let last = this.#zones.get(zone)
    if (last === undefined) {
      const d = dots(zone)
      if (zone !== '.' && !this.#depths.includes(d)) this.#depths = [...this.#depths, d].sort((a, b) => b - a)
      return void this.#zones.set(zone, route)
    }
    while (last.alt !== undefined) last = last.alt
    last.alt = route
  }

  /**
   * Serve one packet. Never throws: a failing plugin is answered with SERVFAIL and logged.
   * False when the packet is ignored (no answer will come: runts, responses); else `settled`
   * is called once the query is done, answered or not (a chain may end without a word).
   */
  handle<A extends Addr>(
    buf: Uint8Array,
    proto: 'udp' | 'tcp',
    local: Addr,
    remote: A,
    send: Send<A>,
    observe?: (w: ServerWriter<A>) => void,
    settled?: () => void,
  ): boolean {
    const req = parseQuery(buf, proto)
    if (typeof req === 'number') {
      if (req === DROP) return false
      // a FORMERR past the header filter is an unpack error: miekg echoes the question
      const reply = req === Rcode.FormErr && acceptHeader(buf) === ACCEPT ? unpackErrorReply(buf) : headerReply(buf, req)
      send(reply, remote)
      settled?.()
      return true
    }
    // CoreDNS refuses a class other than IN before it looks at the EDNS version
    const refuseClass = req.class !== Class.IN && !this.#allowOtherClasses
    if (!refuseClass && req.edns !== undefined && req.edns.version !== 0) {
      send(badVersReply(req), remote) // answered at once, before any scrubbing or metrics (CoreDNS)
      settled?.()
      return true
    }
    const w = new ServerWriter(req, local, remote, send, settled)
    observe?.(w)
    const route = refuseClass ? undefined : this.route(req.name, req.type, w)
    if (route === undefined || route.handler === undefined) this.#drop(w, Rcode.Refused)
    else this.serve(route, w)
    return true
  }

  /**
   * Longest-suffix zone match; DS keeps walking to prefer the parent; '.' last. A zone without
   * plugins met on the way ends the walk (REFUSED), DS included: CoreDNS checks that first.
   * Of the blocks of a zone, the first whose view passes serves; none passing, the walk goes on
   * (CoreDNS server.go ServeDNS). Without `w` (no query to look at) views are not consulted.
   */
  route(name: string, type: number, w?: ServerWriter): Route | undefined {
    let ds: Route | undefined
    // the candidates are the name and what follows each label but the last; the root is one
    // only for the name '.'
    let depth = dots(name)
    let off = 0
    for (const d of name === '.' ? ROOT_DEPTH : this.#depths) {
      if (d > depth) continue
      for (; depth > d; depth--) off = labelEnd(name, off) + 1
      const r = pick(this.#zones.get(off === 0 ? name : name.slice(off)), w, false)
      if (r !== undefined) {
        if (type !== Type.DS || r.handler === undefined) return r
        ds = r
      }
    }
    return ds ?? pick(this.#zones.get('.'), w, true)
  }

  serve(route: Route, w: ServerWriter): void {
    try {
      const rc = route.handler!.serveDNS(route.ctx, w, w.req)
      if (typeof rc === 'number') this.#finish(w, rc)
      else this.#finishLater(w, rc)
    } catch (err) {
      this.#fail(w, err)
    }
  }

  /**
   * Apart from serve(): a function holding a closure allocates the closure's context on every
   * call, so the synchronous answer would pay ~50 bytes for the asynchronous one's callbacks.
   */
  #finishLater(w: ServerWriter, rc: Promise<number>): void {
    rc.then((rcode) => this.#finish(w, rcode), (err) => this.#fail(w, err))
  }

  #finish(w: ServerWriter, rcode: number): void {
    if (!clientWrote(rcode) && !w.written) w.write(rcodeReply(w.req, rcode), '')
    w.settle()
  }

  /** A PluginError is a returned error (logged by *errors*, if loaded); anything else a panic. */
  #fail(w: ServerWriter, err: unknown): void {
    if (err instanceof PluginError) return this.#finish(w, err.rcode)
    this.#observer?.panic()
    logLine('ERROR', `Recovered from panic in server: "${this.label}" ${String(err)}`)
    if (err instanceof Error && err.stack) logLine('ERROR', err.stack)
    this.#finish(w, Rcode.ServFail)
  }

  #drop(w: ServerWriter, rcode: number): void {
    w.write(rcodeReply(w.req, rcode), '')
    this.#observer?.dropped(this.label, w.req, w.proto, w.remote.family, rcode, w.sent)
  }

  /** Run raw query bytes through this server as if from 127.0.0.1 over UDP; resolves to the reply. */
  exchange(query: Uint8Array): Promise<{ wire: Uint8Array; by: string }> {
    const self: Addr = { address: '127.0.0.1', port: 0, family: 4 }
    return new Promise((resolve, reject) => {
      // A chain may legitimately say nothing (acl drop): don't wait for ever.
      const timer = setTimeout(() => reject(new Error('no answer for internal query')), RESOLVE_TIMEOUT_MS)
      let w: ServerWriter | undefined
      this.handle(query, 'udp', self, self, (wire) => {
        clearTimeout(timer)
        resolve({ wire, by: w?.by ?? '' })
      }, (writer) => (w = writer))
    })
  }

  /** A query through this server's own chains (template CNAME targets, cache refreshes). */
  async resolve(name: string, type: number, opts: { do?: boolean; cd?: boolean } = {}): Promise<Msg> {
    const query = dnsPacket.encode({
      id: randomInt(0, 65536),
      type: 'query',
      flags: dnsPacket.RECURSION_DESIRED | (opts.cd ? dnsPacket.CHECKING_DISABLED : 0),
      questions: [{ name: packetName(name), type: packetType(type) as never, class: 'IN' }],
      additionals: [
        { type: 'OPT', name: '.', udpPayloadSize: 65535, flags: opts.do ? dnsPacket.DNSSEC_OK : 0 } as never,
      ],
    })
    const { wire } = await this.exchange(query)
    return dnsPacket.decode(Buffer.from(wire.buffer, wire.byteOffset, wire.length))
  }
}

const ROOT_DEPTH = [1]

/** The labels of a name in presentation format: its dots but the escaped ones (`\.`). */
function dots(name: string): number {
  let n = 0
  for (let i = labelEnd(name, 0); i >= 0; i = labelEnd(name, i + 1)) n++
  return n
}

/**
 * The first block of a zone whose view passes. A block without plugins ends the search (the
 * server refuses), except in the root fallback, which skips it: CoreDNS does both.
 */
function pick(r: Route | undefined, w: ServerWriter | undefined, root: boolean): Route | undefined {
  for (; r !== undefined; r = r.alt) {
    if (r.handler === undefined) {
      if (root) continue
      return r
    }
    if (r.view === undefined || w === undefined || r.view.pass(w.req, w)) return r
  }
  return undefined
}
