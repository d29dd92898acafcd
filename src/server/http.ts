// The HTTP side (/metrics, /health, /ready) on fastify: one listener per address for the whole
// process. Every server block naming an address shares its listener, and a reload hands it to the
// next configuration without closing it (CoreDNS closes them first: issues #1604, #1722).
//
// A configuration collects its routes while it is set up (httpEndpoints(ctx).route(...)). A
// reload binds the addresses not open yet before anything of the old configuration closes, all or
// nothing (bind/abandon); its startup takes the routes over (binding first where no reload did);
// its shutdown only retires it, so the routes keep answering until the next configuration takes
// them over. The Runner calls closeRetiredListeners() once the next configuration started, or
// after the final shutdown (and health's lameduck): whatever only retired configurations used is
// closed then. What a client can make a listener hold is bounded in http-guard.ts.
//
// fastify (some 130 modules, ~70 ms) loads when the first listener opens, not with tsdns: the DNS
// listeners are open and answering by then.

import { isIP } from 'node:net'
import type { FastifyInstance, FastifyListenOptions } from 'fastify'
import type { Token } from '../corefile/ast.ts'
import { CorefileError } from '../corefile/errors.ts'
import type { SetupContext } from '../plugin/plugin.ts'
import { clientError, guardedServer } from './http-guard.ts'

export interface HttpReply {
  readonly status: number
  readonly body: string | Buffer
  /** Content type; text/plain by default. */
  readonly type?: string
  /** The body gzip-compressed, for a client that accepts it (Prometheus does, as promhttp serves it). */
  readonly gzipped?: () => Promise<Buffer>
}

export type HttpHandler = () => HttpReply | Promise<HttpReply>

const TEXT = 'text/plain; charset=utf-8'

/** No route takes a schema: fastify need not load ajv and its compilers (~40 ms of a start). */
const SCHEMALESS = { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } }

function noSchemas(): never {
  throw new Error('tsdns HTTP routes take no schemas')
}

export interface HostPort {
  /** '' for every address (Go's ':8080'). */
  readonly host: string
  readonly port: number
}

/** Go's net.SplitHostPort with a numeric port, or why the text is not `host:port`. */
export function splitHostPort(addr: string): HostPort | string {
  let host: string
  let rest: string
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']')
    if (end < 0) return `missing ']' in address`
    host = addr.slice(1, end)
    rest = addr.slice(end + 1)
    if (!rest.startsWith(':'))
      return rest === '' ? 'missing port in address' : `unexpected '${rest[0]}' after ']'`
    rest = rest.slice(1)
  } else {
    const colon = addr.lastIndexOf(':')
    if (colon < 0) return 'missing port in address'
    host = addr.slice(0, colon)
    if (host.includes(':')) return 'too many colons in address (write IPv6 as [::1]:8080)'
    rest = addr.slice(colon + 1)
  }
  if (!/^\d{1,5}$/.test(rest) || Number(rest) > 65535) return `invalid port '${rest}'`
  return { host, port: Number(rest) }
}

/** A plugin's ADDRESS argument, checked while parsing. */
export function httpAddress(t: Token, plugin: string): string {
  const hp = splitHostPort(t.text)
  if (typeof hp === 'string') {
    throw new CorefileError(
      'COREFILE_VALUE',
      t,
      `address '${t.text}': ${hp}, expecting HOST:PORT`,
      plugin,
    )
  }
  return t.text
}

/** What a client dials to reach a listener on `address` (health's self-probe, tests). */
export function dialUrl(address: string, path: string): string {
  const hp = splitHostPort(address)
  if (typeof hp === 'string') throw new Error(`not an HTTP address: ${address}`)
  const host = hp.host === '' || hp.host === '::' || hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${hp.port}${path}`
}

class Listener {
  readonly address: string
  readonly #app: FastifyInstance
  routes: ReadonlyMap<string, HttpHandler> = new Map()
  owner: HttpEndpoints | undefined

  private constructor(address: string, app: FastifyInstance) {
    this.address = address
    this.#app = app
  }

  static async open(address: string): Promise<Listener> {
    const hp = splitHostPort(address)
    if (typeof hp === 'string') throw new Error(`address '${address}': ${hp}`)
    const { default: fastify } = await import('fastify')
    const app = fastify({
      logger: false,
      schemaController: SCHEMALESS,
      serverFactory: (handler) => guardedServer(handler),
      clientErrorHandler: clientError,
    })
    const l = new Listener(address, app)
    // One catch-all route, so a reload can swap the table under a running server; any method,
    // as Go's handlers answer POST /health like GET.
    app.all('*', async (req, reply) => {
      const q = req.url.indexOf('?')
      const handler = l.routes.get(q < 0 ? req.url : req.url.slice(0, q))
      if (handler === undefined) return reply.code(404).type(TEXT).send('404 page not found\n')
      const r = await handler()
      reply.code(r.status).type(r.type ?? TEXT)
      if (r.gzipped && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        return reply.header('content-encoding', 'gzip').header('vary', 'Accept-Encoding')
          .send(await r.gzipped())
      }
      return reply.send(r.body)
    })
    // reusePort: a second tsdns on the same addresses (handover) binds too, as CoreDNS does.
    const listen = (host: string) => {
      const opts: FastifyListenOptions & { reusePort: boolean } = {
        host,
        port: hp.port,
        reusePort: true,
      }
      return app.listen(opts)
    }
    try {
      if (hp.host !== '') await listen(hp.host)
      else
        await listen('::').catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EAFNOSUPPORT' && err.code !== 'EADDRNOTAVAIL') throw err
          return listen('0.0.0.0') // no IPv6 on this host
        })
    } catch (err) {
      await app.close()
      throw new Error(`cannot listen on ${address} for HTTP: ${(err as Error).message}`, {
        cause: err,
      })
    }
    return l
  }

  close(): Promise<void> {
    return this.#app.close()
  }
}

/** Every open listener in this process, by address as written in the Corefile. */
const listeners = new Map<string, Listener>()

/** One configuration's HTTP routes by address; hooked to its startup and shutdown. */
export class HttpEndpoints {
  readonly #sites = new Map<string, Map<string, HttpHandler>>()
  /** What bind() opened, until start() takes it over or abandon() closes it. */
  #opened: Array<[string, Listener]> = []
  #retired = false

  /** Serve `handler` at `path` on `address` (a later block naming the same pair wins). */
  route(address: string, path: string, handler: HttpHandler): void {
    let site = this.#sites.get(address)
    if (site === undefined) this.#sites.set(address, (site = new Map()))
    site.set(path, handler)
  }

  get addresses(): readonly string[] {
    return [...this.#sites.keys()]
  }

  /**
   * Opens every address not open yet, all or nothing: when one cannot be bound, closes those it
   * opened and throws. A reload calls it before anything of the old configuration closes.
   */
  async bind(): Promise<void> {
    const opened: Array<[string, Listener]> = []
    try {
      for (const address of this.#sites.keys()) {
        if (listeners.has(address)) continue
        opened.push([address, await Listener.open(address)])
      }
    } catch (err) {
      await Promise.all(opened.map(([, l]) => l.close()))
      throw err
    }
    for (const [address, l] of opened) listeners.set(address, l)
    this.#opened = opened
  }

  /** Undoes bind(): a reload failed after it. */
  async abandon(): Promise<void> {
    const opened = this.#opened
    this.#opened = []
    for (const [address] of opened) listeners.delete(address)
    await Promise.all(opened.map(([, l]) => l.close()))
  }

  /** Binds what is not open yet, then takes every route of its addresses over. */
  async start(): Promise<void> {
    await this.bind()
    this.#opened = []
    for (const [address, routes] of this.#sites) {
      const l = listeners.get(address)!
      l.routes = routes
      l.owner = this
    }
  }

  /** The routes keep answering until the next configuration takes them over. */
  retire(): void {
    this.#retired = true
  }

  get retired(): boolean {
    return this.#retired
  }
}

const SHARED_KEY = 'http endpoints'

/** This configuration's endpoints; the first call in a configuration hooks them to its life. */
export function httpEndpoints(ctx: SetupContext): HttpEndpoints {
  return ctx.shared(SHARED_KEY, () => {
    const e = new HttpEndpoints()
    ctx.onStartup(() => e.start())
    ctx.onShutdown(() => e.retire())
    return e
  })
}

/** The endpoints of a built configuration (its `shared` values), if it has any. */
export function endpointsOf(shared: ReadonlyMap<string, unknown>): HttpEndpoints | undefined {
  return shared.get(SHARED_KEY) as HttpEndpoints | undefined
}

/** Closes every listener whose routes belong to a retired configuration. */
export async function closeRetiredListeners(): Promise<void> {
  const done: Promise<void>[] = []
  for (const [address, l] of listeners) {
    if (l.owner !== undefined && !l.owner.retired) continue
    listeners.delete(address)
    done.push(l.close())
  }
  await Promise.all(done)
}
