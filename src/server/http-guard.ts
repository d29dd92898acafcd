// The node:http server under /metrics, /health and /ready, with a bound on everything a client
// can make it hold (issue 14): any pod on the node can reach these ports. Without them, 1,500
// half-sent 1 MB POSTs took RSS from 94 MiB to 1.58 GiB in 2 s, and one connection pipelining
// 3,000 GET /metrics without reading added 490 MiB.
//
// - No request bodies: nothing here reads one (Go's handlers ignore it). A request announcing a
//   body gets 413 and the connection closes; the body is never buffered.
// - Headers: at most 8 KiB, complete within 3 s; a whole request within 5 s (CoreDNS's read
//   timeout); a connection idle for 5 s closes (CoreDNS's idle timeout), as does one that takes
//   no bytes of its answer for 5 s (CoreDNS's write timeout).
// - Pipelining: one request per connection is handled at a time, a few more may wait; one more
//   closes the connection. Node stops reading a connection whose answers are not taken.
// - Keep-alive: 100 requests per connection, then Connection: close.
// - Connections: 128 per listener, 32 per source address. A newcomer over a bound evicts the
//   connection idle the longest (its source's own first), so held connections cannot lock out
//   the kubelet's probes or Prometheus, and a flood costs the flooder's connections first.

import http from 'node:http'
import type { Socket } from 'node:net'
import { shedCounter } from '../plugin/metrics.ts'

export const HTTP_LIMITS = {
  maxHeaderBytes: 8192,
  headersTimeoutMs: 3000,
  requestTimeoutMs: 5000,
  idleMs: 5000,
  requestsPerConn: 100,
  /** Requests waiting behind the one being answered on a connection. */
  pipelined: 4,
  conns: 128,
  connsPerSource: 32,
}

const shedConns = shedCounter('http_conns')
const shedRequests = shedCounter('http_request')

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void

interface Conn {
  readonly socket: Socket
  readonly source: string
  /** When the connection last finished an answer (or opened): the idlest is evicted first. */
  lastDone: number
  busy: boolean
  readonly waiting: Array<[http.IncomingMessage, http.ServerResponse]>
}

/** An HTTP/1.1 server applying HTTP_LIMITS in front of `handler`. */
export function guardedServer(handler: Handler): http.Server {
  const conns = new Map<Socket, Conn>()
  const server = http.createServer(
    {
      maxHeaderSize: HTTP_LIMITS.maxHeaderBytes,
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
      keepAliveTimeout: HTTP_LIMITS.idleMs,
      // Node checks the two timeouts above this often (30 s by default).
      connectionsCheckingInterval: 500,
    },
    (req, res) => {
      const c = conns.get(req.socket)
      // evicted or shed: the rest of a pipeline parsed from the same read is dropped with it
      if (c === undefined) return void req.socket.destroy()
      if (!c.busy) return serve(c, req, res)
      if (c.waiting.length >= HTTP_LIMITS.pipelined) {
        shedRequests.value++
        conns.delete(c.socket)
        return void req.socket.destroy()
      }
      c.waiting.push([req, res])
    },
  )
  server.maxRequestsPerSocket = HTTP_LIMITS.requestsPerConn
  server.setTimeout(HTTP_LIMITS.idleMs) // no byte in or out for this long: closed (Go's write timeout)

  function serve(c: Conn, req: http.IncomingMessage, res: http.ServerResponse): void {
    c.busy = true
    res.once('close', () => {
      c.busy = false
      c.lastDone = performance.now()
      // a client gone takes its pipeline with it: nothing rendered for a closed socket
      if (c.socket.destroyed) c.waiting.length = 0
      const next = c.waiting.shift()
      if (next !== undefined) serve(c, next[0], next[1])
    })
    if (hasBody(req)) {
      shedRequests.value++
      res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      res.end('request bodies are not accepted\n', () => req.socket.destroy())
      // FIN right behind the reply: the unread rest of the body must not keep it waiting
      req.socket.end()
      return
    }
    handler(req, res)
  }

  server.on('connection', (socket: Socket) => {
    const source = socket.remoteAddress ?? ''
    let fromSource = 0
    for (const c of conns.values()) if (c.source === source) fromSource++
    if (fromSource >= HTTP_LIMITS.connsPerSource) evictIdlest(conns, source)
    else if (conns.size >= HTTP_LIMITS.conns) evictIdlest(conns, undefined)
    conns.set(socket, { socket, source, lastDone: performance.now(), busy: false, waiting: [] })
    socket.once('close', () => conns.delete(socket))
  })
  return server
}

/** Content-Length above 0 or any Transfer-Encoding (chunked): a body follows. */
function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** Closes the connection (of `source`, if given) idle the longest; a busy one only if none idle. */
function evictIdlest(conns: Map<Socket, Conn>, source: string | undefined): void {
  let victim: Conn | undefined
  for (const c of conns.values()) {
    if (source !== undefined && c.source !== source) continue
    if (victim === undefined || rank(c) < rank(victim)) victim = c
  }
  if (victim === undefined) return
  conns.delete(victim.socket)
  victim.socket.destroy()
  shedConns.value++
}

/** Idle connections first, then by when they last finished an answer. */
function rank(c: Conn): number {
  return (c.busy ? 1e15 : 0) + c.lastDone
}

/**
 * What a request that broke a bound (an oversized header, a timeout, bad syntax) gets before its
 * connection closes: Node's own answers, counted.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  shedRequests.value++
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`)
  }
  socket.destroy()
}
