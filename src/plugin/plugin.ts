// The contract every plugin implements, after CoreDNS's plugin.Handler / plugin.Plugin.
// A chain is composed once per server address when the configuration is built; a query walks
// it with plain calls. See docs/architecture.md "The plugin contract".

import type { Packet } from 'dns-packet'
import type { SecureContext, TLSSocket } from 'node:tls'
import type { Directive, ServerBlock } from '../corefile/ast.ts'
import type { Logger } from './log.ts'
import type { Metadata } from './metadata.ts'
import { Rcode } from './rcode.ts'

export type Msg = Packet

export interface Addr {
  readonly address: string
  readonly port: number
  readonly family: 4 | 6
}

export interface Edns {
  /** Requestor's UDP payload size as sent (may be < 512). */
  readonly udpSize: number
  readonly version: number
  readonly do: boolean
  /** DO and the upper Z bits (flags & 0xff00), what CoreDNS's SizeAndDo mirrors back. */
  readonly flags: number
  /** Offset of the OPT RR in `wire` and its length in bytes. */
  readonly offset: number
  readonly length: number
}

/**
 * A query, parsed wire-first: header, question and OPT are read from the bytes on arrival;
 * `msg` decodes the whole packet with dns-packet only for the plugin that asks for it.
 */
export interface Request {
  readonly wire: Uint8Array
  readonly id: number
  /** The 16-bit header flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
  readonly flags: number
  readonly opcode: number
  /** Lowercased FQDN with trailing dot ("." for the root). */
  readonly name: string
  /** The qname as the client wrote it (case kept), FQDN. */
  readonly qname: string
  readonly type: number
  readonly class: number
  /** Offset just past the question section. */
  readonly questionEnd: number
  readonly edns: Edns | undefined
  readonly do: boolean
  readonly cd: boolean
  /** Largest reply the client takes: 65535 on TCP, max(512, EDNS size) on UDP. */
  readonly size: number
  readonly proto: 'udp' | 'tcp'
  readonly msg: Msg
  /**
   * cancel: the Date.now() past which no new work starts for this request (forward's next try),
   * as CoreDNS plugins check ctx.Err(); Infinity without cancel.
   */
  readonly deadline: number
  /** metadata: this request's labels, only while the metadata plugin serves it (metadata.ts). */
  readonly metadata: Metadata | undefined
}

export interface ResponseWriter {
  readonly proto: 'udp' | 'tcp'
  readonly local: Addr
  readonly remote: Addr
  /**
   * What went out to the client, for plugins that look at a query once it is done (status): the
   * bytes as the client got them (EDNS mirrored, truncated to its size), the rcode sent and the
   * plugin that wrote it; 0, -1 and '' until then. A wrapper reports its inner writer's.
   */
  readonly sent: number
  readonly rcode: number
  readonly by: string
  /**
   * Send finished wire bytes. `by` names the plugin that produced the answer (metrics, logs).
   * The server's writer patches the ID, mirrors EDNS and truncates; wrappers may look first.
   */
  write(wire: Uint8Array, by: string): void
  /** Encode once and send, as write(). */
  writeMsg(msg: Msg, by: string): void
}

/** Per (server address, zone) values, built once with the chain: no per-query allocation. */
export interface RequestContext {
  /** Metrics `server` label: `dns://[ip]:port`. */
  readonly server: string
  /** The server-block zone the query was routed by. */
  readonly zone: string
  /** Run a query through this server's own chains (template CNAME targets, cache refreshes). */
  resolve(name: string, type: number, opts?: { do?: boolean; cd?: boolean }): Promise<Msg>
}

export type HandlerResult = number | Promise<number>

/**
 * Returns (or resolves to) an rcode. SERVFAIL, REFUSED, FORMERR and NOTIMP mean nothing was
 * written and the server writes that rcode itself; a thrown error is answered with its rcode
 * (SERVFAIL by default) and logged once.
 */
export interface Handler {
  readonly name: string
  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult
}

export interface ChainInfo {
  /** Metrics `server` label of the address this chain serves. */
  readonly server: string
  /** The zones of the server block (normalized, FQDN). */
  readonly zones: readonly string[]
  /** Names of the block's chain links, outermost first (coredns_plugin_enabled). */
  readonly plugins?: readonly string[]
  /** The block's `view` name: the metrics `view` label ('' without one). */
  readonly view?: string
}

/** Built once per server address: binds `next` and any per-server state (metric children). */
export type Plugin = (next: Handler | undefined, chain: ChainInfo) => Handler

/** message renders "plugin/<name>: …"; the server answers `rcode` if nothing was written. */
export class PluginError extends Error {
  readonly plugin: string
  readonly rcode: number
  constructor(plugin: string, message: string, rcode: number = Rcode.ServFail, opts?: ErrorOptions) {
    super(`plugin/${plugin}: ${message}`, opts)
    this.name = 'PluginError'
    this.plugin = plugin
    this.rcode = rcode
  }
}

/** Call `next`, or fail with SERVFAIL and `plugin/<name>: no next plugin found`. */
export function nextOrFailure(
  name: string,
  next: Handler | undefined,
  ctx: RequestContext,
  w: ResponseWriter,
  r: Request,
): HandlerResult {
  if (next) return next.serveDNS(ctx, w, r)
  throw new PluginError(name, 'no next plugin found')
}

export type Hook = () => void | Promise<void>

export interface SetupContext {
  readonly block: ServerBlock
  /** Normalized zones of the block's keys (FQDN, lowercase), in key order. */
  readonly zones: readonly string[]
  /** Directory of the Corefile the block came from (relative paths in plugins resolve here). */
  readonly dir: string
  readonly log: Logger
  /**
   * Work that can fail and must, before the configuration serves: run once built, before its
   * sockets are bound and while a reload's old configuration still serves, so a failure fails
   * the start (or leaves the old one serving). Opens nothing that needs a shutdown hook.
   */
  onPrepare(fn: Hook): void
  onStartup(fn: Hook): void
  onShutdown(fn: Hook): void
  /**
   * On the final stop only, before any shutdown hook: the process still serves while these run
   * (health's lameduck), so no plugin has closed its upstreams yet.
   */
  onLameduck(fn: Hook): void
  /** One value per key for the whole configuration (e.g. a metrics listener per address). */
  shared<T>(key: string, create: () => T): T
  /** bind: serve this block on these addresses instead of every address. */
  listenOn(hosts: readonly string[]): void
  /** timeouts: TCP connection limits of the servers this block is on (fields given override). */
  tcpOptions(opts: TcpOptions): void
  /** tls: what the block's tls:// listeners present and ask of clients. */
  tlsServing(t: TlsServing): void
  /** multisocket: sockets per listen address (the first block on an address sets it). */
  sockets(n: number): void
  /** view: the filter that picks this block among the blocks sharing its zone and port. */
  viewFilter(v: ViewFilter): void
  readonly runtime: Runtime
}

/** TCP connection limits of a server (CoreDNS Read/Write/IdleTimeout, MaxConnectionQueries). */
export interface TcpOptions {
  /** First read on a new connection. */
  readonly readMs?: number
  /** A reply not flushed within this closes the connection. */
  readonly writeMs?: number
  /** Every later read. */
  readonly idleMs?: number
  /** Queries read on one connection before it is closed once answered; 0 for no cap. */
  readonly maxQueries?: number
}

/** A tls:// listener's side of the handshake (CoreDNS's tls.Config of the block). */
export interface TlsServing {
  readonly context: SecureContext
  readonly requestCert: boolean
  readonly rejectUnauthorized: boolean
  /** After the handshake: whether this client may stay (client_auth require, verify_if_given). */
  readonly admit?: (sock: TLSSocket) => boolean
  /** keylog: one NSS key log line. */
  readonly keylog?: (line: Buffer) => void
}

/** CoreDNS dnsserver.Viewer: a block is used for a query only when its filter passes. */
export interface ViewFilter {
  readonly name: string
  pass(r: Request, w: ResponseWriter): boolean
}

export type ReloadOutcome = 'reloaded' | 'unchanged' | 'failed'

/** 'serving' once the first configuration started; 'stopping' from the final shutdown on (ready). */
export type RunPhase = 'starting' | 'serving' | 'stopping'

/** The process around the configuration, for plugins that manage it (reload). */
export interface Runtime {
  /** Re-read the Corefile; reload when its parsed form changed. */
  reloadIfChanged(): Promise<ReloadOutcome>
  /** SHA512 of the configuration serving now. */
  hash(): string
  /** A reload keeps 'serving'; shutdown hooks see 'stopping' only on the final stop (lameduck). */
  phase(): RunPhase
}

export interface PluginDefinition<Config = unknown> {
  /** The Corefile directive. */
  readonly name: string
  /** CoreDNS plugin.ErrOnce: "this plugin can only be used once per Server Block". */
  readonly once?: boolean
  /** Pure: checks every value and throws a located CorefileError. */
  parse(stanzas: readonly Directive[], ctx: SetupContext): Config
  /** Returns a chain link, or undefined for plugins that are not (health, ready, reload, bind). */
  setup(config: Config, ctx: SetupContext): Plugin | undefined
}

/** Config types differ per plugin; the registry only passes each its own parse() result. */
export type AnyPluginDefinition = PluginDefinition<any>

export function definePlugin<Config>(def: PluginDefinition<Config>): PluginDefinition<Config> {
  return def
}
