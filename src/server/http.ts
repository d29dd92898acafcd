// The HTTP side (/metrics, /health, /ready) on fastify: one listener per address for the whole
// process. Every server block naming an address shares its listener, and a reload hands it to the
// next configuration without closing it (CoreDNS closes them first: issues #1604, #1722).
//
// A configuration collects its routes while it is set up (httpEndpoints(ctx).route(...)). Its
// startup binds the addresses not open yet and takes the routes over; its shutdown only retires
// it, so the routes keep answering until the next configuration takes them over. The Runner calls
// closeRetiredListeners() once the next configuration started, or after the final shutdown (and
// health's lameduck): whatever only retired configurations used is closed then.
//
// fastify (some 130 modules, ~70 ms) loads when the first listener opens, not with tsdns: the DNS
// listeners are open and answering by then.

import { isIP } from 'node:net'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { FastifyInstance, FastifyListenOptions } from 'fastify'
import type { Token } from '../corefile/ast.ts'
import { CorefileError } from '../corefile/errors.ts'
import type { SetupContext } from '../plugin/plugin.ts'

export interface HttpReply {
  readonly status: number
  readonly body: string
  /** Content type; text/plain by default. */
  readonly type?: string
  /** Sent gzip-compressed to a client that accepts it (Prometheus does, as promhttp serves it). */
  readonly gzip?: boolean
}

export type HttpHandler = () => HttpReply | Promise<HttpReply>

/** CoreDNS's HTTP servers time out reads, writes and idle connections after 5 s. */
const TIMEOUT_MS = 5000
const TEXT = 'text/plain; charset=utf-8'

const gzipAsync = promisify(gzip)

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
      connectionTimeout: TIMEOUT_MS,
      keepAliveTimeout: TIMEOUT_MS,
      requestTimeout: TIMEOUT_MS,
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
      if (r.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        return reply.header('content-encoding', 'gzip').header('vary', 'Accept-Encoding')
          .send(await gzipAsync(r.body))
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
   * Binds what is not open yet and takes every route of its open addresses over. Throws when an
   * address could not be bound; the others serve (the Runner closes them if the start fails).
   */
  async start(): Promise<void> {
    const failed: Error[] = []
    for (const address of this.#sites.keys()) {
      if (listeners.has(address)) continue
      try {
        listeners.set(address, await Listener.open(address))
      } catch (err) {
        failed.push(err as Error)
      }
    }
    for (const [address, routes] of this.#sites) {
      const l = listeners.get(address)
      if (l === undefined) continue
      l.routes = routes
      l.owner = this
    }
    if (failed.length > 0) throw failed[0]!
  }

  /** The routes keep answering until the next configuration takes them over. */
  retire(): void {
    this.#retired = true
  }

  get retired(): boolean {
    return this.#retired
  }
}

/** This configuration's endpoints; the first call in a configuration hooks them to its life. */
export function httpEndpoints(ctx: SetupContext): HttpEndpoints {
  return ctx.shared('http endpoints', () => {
    const e = new HttpEndpoints()
    ctx.onStartup(async () => {
      try {
        await e.start()
      } catch (err) {
        if (ctx.runtime.phase() === 'starting') throw err // tsdns exits with the reason
        // A reload must not take a serving process down: the other endpoints serve.
        ctx.log.error((err as Error).message)
      }
    })
    ctx.onShutdown(() => e.retire())
    return e
  })
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
