// DNS over HTTPS to one upstream (RFC 8484): each query is a POST of application/dns-message to
// /dns-query (a GET with ?dns=BASE64URL under doh_method GET), sent under ID 0 (RFC 8484 §4.1),
// on one HTTP/2 connection that carries every query in flight as its own stream. The connection
// is reused until idle past `expire` or older than `max_age`, then retired: it closes once its
// last stream is done. A reply must come with status 200, a body of at most 65,535 bytes (a DNS
// message's largest; the stream is cancelled past it) and the query's ID and question.

import http2 from 'node:http2'
import tls from 'node:tls'
import { checkReply } from './reply-check.ts'
import type { TlsSettings } from './stream.ts'
import { quietError, type Endpoint, type PoolOptions, type Waiter } from './transport.ts'

const PATH = '/dns-query'
const MIME = 'application/dns-message'
/** The largest DNS message; CoreDNS reads at most 64 KiB of a DoH body too. */
export const MAX_DOH_BODY = 65535

export type DohMethod = 'GET' | 'POST'

export class DohConn {
  readonly created = Date.now()
  used = this.created
  /** Streams waiting for their reply. */
  live = 0
  /** No new streams: closed, going away, or retired by its pool. */
  retired = false
  readonly #session: http2.ClientHttp2Session
  readonly #method: DohMethod
  readonly #to: string
  readonly #pool: DohPool | undefined
  #served = false

  constructor(ep: Endpoint, secure: TlsSettings, method: DohMethod, pool: DohPool | undefined) {
    this.#method = method
    this.#to = ep.to
    this.#pool = pool
    const host = ep.family === 6 ? `[${ep.host}]` : ep.host
    const name = secure.servername ? { servername: secure.servername } : {}
    // net.connect's options (localAddress: source_address) pass through tls.connect
    const target = { host: ep.host, port: ep.port, localAddress: ep.localAddress }
    this.#session = http2.connect(`https://${host}:${ep.port}`, {
      createConnection: () =>
        tls.connect({ ...target, ALPNProtocols: ['h2'], ...secure.options, ...name }),
    })
    // errors reach the streams too; the session's own only needs a listener
    this.#session.on('error', () => this.#retire())
    this.#session.on('goaway', () => this.#retire())
    this.#session.on('close', () => this.#retire())
    this.#session.unref()
  }

  send(w: Waiter, timeoutMs: number): void {
    const q = Buffer.allocUnsafe(w.query.length)
    q.set(w.query)
    q[0] = 0
    q[1] = 0
    const get = this.#method === 'GET'
    const headers = {
      ':method': this.#method,
      ':path': get ? `${PATH}?dns=${q.toString('base64url')}` : PATH,
      accept: MIME,
      'content-type': MIME, // on GET too, as CoreDNS's pkg/doh sends it
      ...(get ? {} : { 'content-length': q.length }),
    }
    const stream = this.#session.request(headers, { endStream: get })
    if (!get) stream.end(q)
    const reused = this.#served
    this.#served = true
    this.live++
    new DohExchange(this, stream, w, reused, timeoutMs)
  }

  /** A stream is over: `ok` when it brought the reply. */
  done(ok: boolean): void {
    this.live--
    if (ok) this.used = Date.now()
    if (this.live > 0) return
    if (this.retired) this.close()
    else this.#pool?.idle(this)
  }

  get to(): string {
    return this.#to
  }

  #retire(): void {
    if (this.retired) return
    this.retired = true
    this.#pool?.removed(this)
    if (this.live === 0) this.close()
  }

  /** No new streams; closes once the last one is done. */
  retire(): void {
    this.#retire()
  }

  close(): void {
    this.retired = true
    if (!this.#session.destroyed) this.#session.destroy()
  }
}

/** One query's stream: the status, the body up to its cap, the timeout. */
class DohExchange {
  readonly #conn: DohConn
  readonly #stream: http2.ClientHttp2Stream
  readonly #waiter: Waiter
  readonly #reused: boolean
  readonly #timer: NodeJS.Timeout
  readonly #chunks: Buffer[] = []
  #size = 0
  #status = 0
  #over = false

  constructor(
    conn: DohConn,
    stream: http2.ClientHttp2Stream,
    w: Waiter,
    reused: boolean,
    timeoutMs: number,
  ) {
    this.#conn = conn
    this.#stream = stream
    this.#waiter = w
    this.#reused = reused
    this.#timer = setTimeout(() => this.#fail(`read https ${conn.to}: i/o timeout`), timeoutMs)
    stream.on('response', (headers) => this.#onHeaders(headers))
    stream.on('data', (chunk: Buffer) => this.#onData(chunk))
    stream.on('end', () => this.#onEnd())
    stream.on('error', (err) => this.#fail(err.message))
    stream.on('close', () => this.#fail('stream closed without a reply'))
  }

  #onHeaders(headers: http2.IncomingHttpHeaders): void {
    this.#status = Number(headers[':status'])
    if (this.#status !== 200) return this.#fail(`doh: HTTP status ${this.#status}`)
    if (Number(headers['content-length'] ?? 0) > MAX_DOH_BODY) this.#tooLarge()
  }

  #onData(chunk: Buffer): void {
    if (this.#over) return
    this.#size += chunk.length
    if (this.#size > MAX_DOH_BODY) return this.#tooLarge()
    this.#chunks.push(chunk)
  }

  #tooLarge(): void {
    this.#fail(`doh: reply body over ${MAX_DOH_BODY} bytes`)
  }

  #onEnd(): void {
    if (this.#over) return
    const reply = Buffer.concat(this.#chunks, this.#size)
    const w = this.#waiter
    const why = checkReply(reply, 0, w.query, w.questionEnd)
    if (why !== undefined) return this.#fail(`doh: reply ${why} does not match the query`)
    this.#finish(true)
    w.onReply(reply)
  }

  #fail(message: string): void {
    if (this.#over) return
    // a reused connection that failed before any answer was likely closed under us: retry once
    const stale = this.#reused && this.#status === 0
    this.#finish(false)
    this.#waiter.onError(quietError(message), stale)
  }

  #finish(ok: boolean): void {
    this.#over = true
    clearTimeout(this.#timer)
    if (!ok && !this.#stream.closed) this.#stream.close(http2.constants.NGHTTP2_CANCEL)
    this.#conn.done(ok)
  }
}

/** One upstream's DoH connection: reused while fresh, replaced when retired or too old. */
export class DohPool {
  readonly #ep: Endpoint
  readonly #secure: TlsSettings
  readonly #method: DohMethod
  readonly #opts: PoolOptions
  #conn: DohConn | undefined
  #draining = false

  constructor(ep: Endpoint, secure: TlsSettings, method: DohMethod, opts: PoolOptions) {
    this.#ep = ep
    this.#secure = secure
    this.#method = method
    this.#opts = opts
  }

  /** `fresh`: a new connection (the retry after a reused one failed). */
  send(w: Waiter, timeoutMs: number, fresh = false): void {
    let c = this.#conn
    if (c !== undefined && (fresh || this.#stale(c, Date.now()))) c.retire()
    c = this.#conn
    if (c === undefined) {
      c = new DohConn(this.#ep, this.#secure, this.#method, this)
      this.#conn = c
    }
    c.send(w, timeoutMs)
  }

  #stale(c: DohConn, now: number): boolean {
    const { expireMs, maxAgeMs } = this.#opts
    return (c.live === 0 && now - c.used > expireMs) || (maxAgeMs > 0 && now - c.created > maxAgeMs)
  }

  /** `c` has nothing in flight: closed at once with expire 0 or when shutting down. */
  idle(c: DohConn): void {
    if (this.#draining || this.#opts.expireMs === 0) c.retire()
  }

  removed(c: DohConn): void {
    if (this.#conn === c) this.#conn = undefined
  }

  get open(): boolean {
    return this.#conn !== undefined
  }

  sweep(now = Date.now()): void {
    const c = this.#conn
    if (c !== undefined && this.#stale(c, now)) c.retire()
  }

  drain(): void {
    this.#draining = true
    this.#conn?.retire()
  }
}
