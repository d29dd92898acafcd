// A scripted DNS server for fault injection (CoreDNS's dnstest.NewServer, plus faults): UDP and
// TCP on the same loopback port, a handler deciding per query what to send back, and a record of
// every query received so tests can assert what tsdns sent upstream (IDs, source ports, flags,
// OPT). Handler results:
//   Packet | bytes                   sent as the reply (a Packet without id gets the query's id)
//   undefined | { drop: true }       silence
//   { delayMs, then }                the `then` action after a delay
//   { spoof, fromPort? }             UDP: `spoof` sent from another socket (other source port);
//                                    TCP cannot be spoofed: nothing is sent
//   { close: true }                  TCP: close the connection; UDP: silence
//   [a, b, ...]                      each action in order (e.g. a wrong-id reply, then the right)

import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { createServer, isIPv6 } from 'node:net'
import type { Server, Socket } from 'node:net'
import * as dnsPacket from 'dns-packet'
import type { Answer, DecodedPacket, Packet, PacketOpt, Question } from 'dns-packet'
import { rr } from './rr.ts'

export type Proto = 'udp' | 'tcp'

export interface FakeQuery {
  /** The query exactly as received (without the TCP length prefix). */
  readonly bytes: Buffer
  /** dns-packet decode of bytes; undefined if they did not decode. */
  readonly msg: DecodedPacket | undefined
  readonly proto: Proto
  readonly from: { readonly address: string; readonly port: number }
  /** TCP: sequence number of the connection it came on (1, 2, ...), for reuse/pipelining checks. */
  readonly conn?: number
  readonly at: number
  readonly id: number
  /** The 16 header flag bits (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
  readonly flags: number
  readonly rd: boolean
  readonly cd: boolean
  /** First question, name as sent (case kept), type and class as dns-packet names them. */
  readonly name: string
  readonly type: string
  readonly class: string
  readonly edns?: {
    readonly udpSize: number
    readonly do: boolean
    readonly version: number
    readonly options: PacketOpt[]
  }
}

export type FakeAction =
  | Packet
  | Uint8Array
  | { readonly drop: true }
  | { readonly delayMs: number; readonly then: FakeAction }
  | { readonly spoof: FakeAction; readonly fromPort?: number }
  | { readonly close: true }
  | readonly FakeAction[]

export type FakeHandler = (q: FakeQuery) => FakeAction | undefined |
  Promise<FakeAction | undefined>

export interface FakeUpstream {
  readonly host: string
  readonly port: number
  /** "host:port" ("[::1]:port" for IPv6), as a Corefile forward line wants it. */
  readonly addr: string
  /** Every query received, in arrival order (readiness probes are not filtered: there are none). */
  readonly queries: FakeQuery[]
  /** Errors thrown by the handler (the query was then dropped). */
  readonly errors: unknown[]
  setHandler(handler: FakeHandler): void
  /** Resolves with `queries` once it has at least n entries; rejects after ms. */
  waitForQueries(n: number, ms?: number): Promise<FakeQuery[]>
  close(): Promise<void>
}

const RCODES: Record<string, number> = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16,
}

function parseQuery(bytes: Buffer, proto: Proto, from: { address: string; port: number },
  conn: number | undefined): FakeQuery {
  let msg: DecodedPacket | undefined
  try {
    msg = dnsPacket.decode(bytes)
  } catch {
    msg = undefined
  }
  const flags = bytes.length >= 4 ? bytes.readUInt16BE(2) : 0
  const q = msg?.questions?.[0]
  const opt = msg?.additionals?.find((a) => a.type === 'OPT')
  return {
    bytes, msg, proto, from, conn, at: Date.now(),
    id: bytes.length >= 2 ? bytes.readUInt16BE(0) : 0,
    flags,
    rd: (flags & dnsPacket.RECURSION_DESIRED) !== 0,
    cd: (flags & dnsPacket.CHECKING_DISABLED) !== 0,
    name: q?.name ?? '',
    type: q?.type ?? '',
    class: q?.class ?? '',
    edns: opt && opt.type === 'OPT'
      ? { udpSize: opt.udpPayloadSize, do: opt.flag_do, version: opt.ednsVersion,
        options: opt.options }
      : undefined,
  }
}

// ---- reply builders -------------------------------------------------------------------------

export interface ReplyOptions {
  /** Name (NOERROR, SERVFAIL, ...) or number; > 15 goes into the OPT extended rcode. */
  readonly rcode?: string | number
  readonly answers?: readonly (Answer | string)[]
  readonly authorities?: readonly (Answer | string)[]
  readonly additionals?: readonly (Answer | string)[]
  readonly aa?: boolean
  readonly tc?: boolean
  /** Default true. */
  readonly ra?: boolean
  /** Default: the query's id. */
  readonly id?: number
  /** Default: the query's question. */
  readonly questions?: Question[]
  /** Add an OPT record; default: when the query had one (udp size 1232). */
  readonly edns?: boolean
}

const toAnswer = (a: Answer | string): Answer => (typeof a === 'string' ? rr(a) : a)

/** A reply to q: same id and question, RD and CD copied, RA set, the rcode and records given. */
export function reply(q: FakeQuery, o: ReplyOptions = {}): Packet {
  const rcode = typeof o.rcode === 'string' ? RCODES[o.rcode.toUpperCase()] : (o.rcode ?? 0)
  if (rcode === undefined) throw new Error(`unknown rcode ${String(o.rcode)}`)
  let flags = q.flags & (0x7800 | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED)
  if (o.ra ?? true) flags |= dnsPacket.RECURSION_AVAILABLE
  if (o.aa) flags |= dnsPacket.AUTHORITATIVE_ANSWER
  if (o.tc) flags |= dnsPacket.TRUNCATED_RESPONSE
  flags |= rcode & 0x0f
  const additionals = (o.additionals ?? []).map(toAnswer)
  if (o.edns ?? (q.edns !== undefined || rcode > 15)) {
    additionals.push({ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: rcode >> 4,
      ednsVersion: 0, flags: 0, flag_do: false, options: [] })
  }
  return {
    type: 'response',
    id: o.id ?? q.id,
    flags,
    questions: o.questions ?? q.msg?.questions ?? [],
    answers: (o.answers ?? []).map(toAnswer),
    authorities: (o.authorities ?? []).map(toAnswer),
    additionals,
  }
}

/** NOERROR with these records ("name ttl IN A 1.2.3.4" strings or dns-packet answers). */
export const answer = (q: FakeQuery, records: readonly (Answer | string)[],
  o: ReplyOptions = {}): Packet => reply(q, { ...o, answers: records })
export const servfail = (q: FakeQuery): Packet => reply(q, { rcode: 'SERVFAIL' })
export const refused = (q: FakeQuery): Packet => reply(q, { rcode: 'REFUSED' })
export const nxdomain = (q: FakeQuery, soa?: string): Packet =>
  reply(q, { rcode: 'NXDOMAIN', authorities: soa ? [soa] : [] })
export const formerr = (q: FakeQuery): Packet => reply(q, { rcode: 'FORMERR' })
/** TC set and no records: a client must retry over TCP. */
export const truncated = (q: FakeQuery): Packet => reply(q, { tc: true })
/** A reply whose ID does not match the query (a spoofing attempt or a confused server). */
export const wrongId = (q: FakeQuery, records: readonly (Answer | string)[] = []): Packet =>
  reply(q, { id: (q.id + 1) & 0xffff, answers: records })
/** A reply with the right ID for a different question. */
export const wrongQuestion = (q: FakeQuery, name = `wrong.${q.name || 'example.org'}`): Packet =>
  reply(q, { questions: [{ name, type: 'A', class: 'IN' }],
    answers: [{ name, type: 'A', ttl: 60, data: '192.0.2.66' }] })
export const slow = (delayMs: number, then: FakeAction): FakeAction => ({ delayMs, then })
export const drop = (): FakeAction => ({ drop: true })
/** UDP: `then` is sent from another source port (fromPort, or a random one). */
export const spoofed = (then: FakeAction, fromPort?: number): FakeAction =>
  ({ spoof: then, fromPort })

/** A handler answering from a list of records (name+type match), NXDOMAIN otherwise. */
export function answerFrom(records: readonly string[]): FakeHandler {
  const parsed = records.map(rr)
  return (q) => {
    const name = q.name.toLowerCase().replace(/\.$/, '')
    const owned = parsed.filter((a) => a.name.toLowerCase() === name)
    if (owned.length === 0) return nxdomain(q)
    return answer(q, owned.filter((a) => a.type === q.type))
  }
}

// ---- the server -----------------------------------------------------------------------------

function isAction<K extends string>(a: object, key: K): a is Record<K, unknown> {
  return key in a
}

export interface FakeUpstreamOptions {
  /** '127.0.0.1' (default) or '::1'. */
  readonly host?: string
}

/** Starts a fake upstream on a fresh port (same number on UDP and TCP). Close it in after(). */
export async function fakeUpstream(handler: FakeHandler,
  opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const host = opts.host ?? '127.0.0.1'
  const v6 = isIPv6(host)
  const { udp, tcp, port } = await bindBoth(host)
  // a forgotten fake must not keep the test process alive; a waiting test holds its own timers
  udp.unref()
  tcp.unref()
  const queries: FakeQuery[] = []
  const errors: unknown[] = []
  const timers = new Set<NodeJS.Timeout>()
  const conns = new Set<Socket>()
  const spoofSockets = new Map<number, Promise<UdpSocket>>()
  const waiters = new Set<() => void>()
  let current = handler
  let closed = false
  let connSeq = 0

  // one socket per source port, shared by concurrent spoofs (the map holds the bind promise)
  const spoofSocket = (fromPort: number | undefined): Promise<UdpSocket> => {
    const key = fromPort ?? 0
    let s = spoofSockets.get(key)
    if (!s) {
      s = new Promise((resolve, reject) => {
        const sock = createSocket(v6 ? 'udp6' : 'udp4')
        sock.once('error', reject)
        sock.bind(key, host, () => {
          sock.on('error', (err) => console.error('fakeUpstream spoof socket error:', err))
          sock.unref()
          resolve(sock)
        })
      })
      spoofSockets.set(key, s)
    }
    return s
  }

  // performs one action; `send` writes bytes on the query's own path (UDP socket or TCP conn)
  const perform = async (q: FakeQuery, action: FakeAction | undefined,
    send: (b: Uint8Array) => void, closeConn: () => void): Promise<void> => {
    if (closed || action === undefined) return
    if (action instanceof Uint8Array) return send(action)
    if (Array.isArray(action)) {
      for (const a of action as readonly FakeAction[]) await perform(q, a, send, closeConn)
      return
    }
    if (isAction(action, 'drop')) return
    if (isAction(action, 'close')) return closeConn()
    if (isAction(action, 'delayMs')) {
      const a = action as { delayMs: number; then: FakeAction }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t)
          resolve()
        }, a.delayMs)
        timers.add(t)
      })
      return perform(q, a.then, send, closeConn)
    }
    if (isAction(action, 'spoof')) {
      if (q.proto === 'tcp') return
      const a = action as { spoof: FakeAction; fromPort?: number }
      const s = await spoofSocket(a.fromPort)
      const viaOther = (b: Uint8Array): void => s.send(b, q.from.port, q.from.address)
      return perform(q, a.spoof, viaOther, closeConn)
    }
    const p = action as Packet
    send(dnsPacket.encode({ type: 'response', ...p, id: p.id ?? q.id }))
  }

  const handle = async (q: FakeQuery, send: (b: Uint8Array) => void,
    closeConn: () => void): Promise<void> => {
    queries.push(q)
    for (const w of waiters) w()
    try {
      await perform(q, await current(q), send, closeConn)
    } catch (err) {
      errors.push(err)
      console.error('fakeUpstream handler error:', err)
    }
  }

  udp.on('message', (bytes, rinfo) => {
    const q = parseQuery(bytes, 'udp', { address: rinfo.address, port: rinfo.port }, undefined)
    void handle(q, (b) => udp.send(b, rinfo.port, rinfo.address), () => {})
  })

  tcp.on('connection', (sock) => {
    const conn = ++connSeq
    sock.unref()
    conns.add(sock)
    sock.on('close', () => conns.delete(sock))
    sock.on('error', () => {}) // resets by the client under test are expected
    let pending = Buffer.alloc(0)
    const send = (b: Uint8Array): void => {
      if (sock.destroyed || !sock.writable) return
      const len = Buffer.alloc(2)
      len.writeUInt16BE(b.length)
      sock.write(Buffer.concat([len, b]))
    }
    sock.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0)
        if (pending.length < 2 + len) break
        const bytes = Buffer.from(pending.subarray(2, 2 + len))
        pending = pending.subarray(2 + len)
        const from = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 }
        void handle(parseQuery(bytes, 'tcp', from, conn), send, () => sock.end())
      }
    })
  })

  return {
    host,
    port,
    addr: v6 ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    errors,
    setHandler(h) {
      current = h
    },
    waitForQueries(n, ms = 2000) {
      if (queries.length >= n) return Promise.resolve(queries)
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (queries.length < n) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(queries)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`fake upstream got ${queries.length} of ${n} queries in ${ms} ms`))
        }, ms)
        waiters.add(check)
      })
    },
    async close() {
      if (closed) return
      closed = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const c of conns) c.destroy()
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
        ...[...spoofSockets.values()].map(async (p) => {
          const s = await p.catch(() => undefined)
          if (s) await new Promise<void>((r) => s.close(() => r()))
        }),
      ])
    },
  }
}

const MAX_BIND_ATTEMPTS = 20

// UDP on port 0, then TCP on the same number; held by this process, so no race with others
async function bindBoth(host: string): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  const v6 = isIPv6(host)
  for (let attempt = 1; attempt <= MAX_BIND_ATTEMPTS; attempt++) {
    const udp = createSocket(v6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' })
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind(0, host, () => resolve())
    })
    const port = udp.address().port
    const tcp = createServer()
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject)
        tcp.listen({ host, port, exclusive: true }, () => resolve())
      })
      udp.on('error', (err) => console.error('fakeUpstream udp error:', err))
      return { udp, tcp, port }
    } catch (err) {
      udp.close()
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    }
  }
  throw new Error(`fakeUpstream: no port free for both UDP and TCP on ${host}`)
}
