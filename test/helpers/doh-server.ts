// A DNS-over-HTTPS upstream for tests (RFC 8484 over HTTP/2 on loopback, a throwaway certificate
// from x509.ts): records every request (method, path, headers, the query's bytes, the client's
// address) and answers A questions with one address, or whatever `reply` says.

import http2 from 'node:http2'
import dnsPacket from 'dns-packet'
import type { TestCert } from './x509.ts'

export const DOH_MIME = 'application/dns-message'

export interface DohRequest {
  readonly method: string
  readonly path: string
  readonly contentType: string | undefined
  readonly accept: string | undefined
  /** The DNS query: the POST body, or the GET's ?dns= decoded. */
  readonly query: Buffer
  readonly remote: string
}

export interface DohServer {
  readonly port: number
  readonly seen: DohRequest[]
  /** HTTP/2 connections accepted so far. */
  sessions: number
  /** What the server does with a query: answer (default), or a status / raw body of its own. */
  reply: (q: Buffer) => { status?: number; body?: Buffer } | undefined
  close(): Promise<void>
}

/** A reply to `q` (its ID and question) with one A record of `ip` when it asks for A. */
export function dohAnswer(q: Buffer, ip = '192.0.2.53'): Buffer {
  const m = dnsPacket.decode(q)
  const question = m.questions![0]!
  return dnsPacket.encode({
    type: 'response', id: m.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: m.questions,
    answers: question.type === 'A' ? [{ name: question.name, type: 'A', ttl: 60, data: ip }] : [],
  })
}

export async function startDohServer(tls: TestCert, host = '127.0.0.1'): Promise<DohServer> {
  const server = http2.createSecureServer({ cert: tls.cert, key: tls.key })
  const sessions = new Set<http2.ServerHttp2Session>()
  const s: DohServer = {
    port: 0,
    seen: [],
    sessions: 0,
    reply: () => undefined,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const sess of sessions) sess.destroy()
    }),
  }
  server.on('session', (sess) => {
    s.sessions++
    sessions.add(sess)
    sess.on('close', () => sessions.delete(sess))
  })
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      const path = String(headers[':path'])
      const method = String(headers[':method'])
      const query = method === 'GET'
        ? Buffer.from(new URL(path, 'https://x').searchParams.get('dns') ?? '', 'base64url')
        : Buffer.concat(chunks)
      s.seen.push({ method, path, query, remote: stream.session!.socket.remoteAddress!,
        contentType: headers['content-type'], accept: headers.accept })
      const custom = s.reply(query)
      stream.respond({ ':status': custom?.status ?? 200, 'content-type': DOH_MIME })
      stream.end(custom?.body ?? dohAnswer(query))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return Object.assign(s, { port: (server.address() as { port: number }).port })
}
