// A raw in-process DNS client for low-level tests: exact bytes in, exact bytes out. Silence is a
// valid outcome (a dropped query, a refused spoof), so a timeout yields undefined instead of an
// error; only socket errors (e.g. ICMP port unreachable on the connected UDP socket) reject.

import { createSocket } from 'node:dgram'
import { connect, isIPv6 } from 'node:net'
import * as dnsPacket from 'dns-packet'
import type { Packet, PacketOpt, RecordClass, RecordType } from 'dns-packet'

export type Bytes = Uint8Array

export interface EdnsOptions {
  /** Advertised UDP payload size (dns-packet turns 0 into 4096). Default 1232. */
  readonly udpSize?: number
  readonly do?: boolean
  readonly version?: number
  readonly options?: PacketOpt[]
}

export interface QueryOptions {
  /** Message ID; random by default. */
  readonly id?: number
  /** Recursion desired; default true (as dig). */
  readonly rd?: boolean
  readonly cd?: boolean
  readonly ad?: boolean
  readonly class?: RecordClass
  /** true: EDNS with defaults; an object: EDNS with these fields; default none. */
  readonly edns?: boolean | EdnsOptions
}

export function randomId(): number {
  return Math.floor(Math.random() * 0x10000)
}

/** A query message as a dns-packet Packet (edit it before sending for unusual shapes). */
export function queryPacket(name: string, type: RecordType = 'A', opts: QueryOptions = {}): Packet {
  let flags = 0
  if (opts.rd ?? true) flags |= dnsPacket.RECURSION_DESIRED
  if (opts.cd) flags |= dnsPacket.CHECKING_DISABLED
  if (opts.ad) flags |= dnsPacket.AUTHENTIC_DATA
  const p: Packet = {
    type: 'query',
    id: opts.id ?? randomId(),
    flags,
    questions: [{ name, type, class: opts.class ?? 'IN' }],
  }
  if (opts.edns) {
    const e: EdnsOptions = opts.edns === true ? {} : opts.edns
    p.additionals = [{
      name: '.',
      type: 'OPT',
      udpPayloadSize: e.udpSize ?? 1232,
      extendedRcode: 0,
      ednsVersion: e.version ?? 0,
      flags: e.do ? dnsPacket.DNSSEC_OK : 0,
      flag_do: e.do ?? false,
      options: e.options ?? [],
    }]
  }
  return p
}

/** The wire bytes of a query (see queryPacket). */
export function buildQuery(name: string, type: RecordType = 'A', opts: QueryOptions = {}): Buffer {
  return dnsPacket.encode(queryPacket(name, type, opts))
}

function toBytes(msg: Bytes | Packet): Buffer {
  if (msg instanceof Uint8Array) return Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength)
  return dnsPacket.encode(msg)
}

/** Decodes a reply with dns-packet (throws on malformed bytes). */
export function decode(bytes: Bytes): dnsPacket.DecodedPacket {
  return dnsPacket.decode(toBytes(bytes))
}

/** The full rcode of a message: header bits plus the OPT extended rcode (e.g. 16 = BADVERS). */
export function rcodeOf(bytes: Bytes): number {
  const b = toBytes(bytes)
  const low = (b[3] ?? 0) & 0x0f
  const opt = decode(b).additionals?.find((a) => a.type === 'OPT')
  return opt && opt.type === 'OPT' ? (opt.extendedRcode << 4) | low : low
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED',
  'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE']

/** The rcode of a message by name (NOERROR ... BADVERS); an unnamed code prints as its number. */
export function rcodeName(bytes: Bytes): string {
  const r = rcodeOf(bytes)
  return r === 16 ? 'BADVERS' : (RCODE_NAMES[r] ?? String(r))
}

/** The answer section's RDATA as strings (TXT strings joined by a space), for short asserts. */
export function answerData(msg: Bytes | dnsPacket.Packet): string[] {
  const m = msg instanceof Uint8Array ? decode(msg) : msg
  const text = (d: unknown): string => typeof d === 'string' ? d
    : Buffer.isBuffer(d) ? d.toString() : Array.isArray(d) ? d.map(text).join(' ')
    : JSON.stringify(d)
  return (m.answers ?? []).map((a) => (a.type === 'OPT' ? '' : text(a.data)))
}

export interface UdpOptions {
  /** How long to wait for a reply. Default 2000. */
  readonly timeoutMs?: number
  /**
   * Connect the socket to the server (default true): the kernel then drops datagrams from any
   * other address or port, as a real stub resolver would, and ICMP unreachable rejects with
   * ECONNREFUSED. Set false to see spoofed replies too (then check `from`).
   */
  readonly connect?: boolean
}

export interface UdpReply {
  readonly reply: Buffer
  readonly from: { readonly address: string; readonly port: number }
}

/**
 * Sends one datagram and collects replies: the first one (`all` false) or every one that
 * arrives within timeoutMs (`all` true, which always waits the whole time).
 */
async function udpExchange(host: string, port: number, msg: Bytes | Packet, opts: UdpOptions,
  all: boolean): Promise<UdpReply[]> {
  const timeoutMs = opts.timeoutMs ?? 2000
  const bytes = toBytes(msg)
  const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
  const replies: UdpReply[] = []
  try {
    return await new Promise<UdpReply[]>((resolve, reject) => {
      const timer = setTimeout(() => resolve(replies), timeoutMs)
      sock.on('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      sock.on('message', (reply, rinfo) => {
        replies.push({ reply, from: { address: rinfo.address, port: rinfo.port } })
        if (!all) {
          clearTimeout(timer)
          resolve(replies)
        }
      })
      const send = (): void => {
        if (opts.connect ?? true) sock.send(bytes)
        else sock.send(bytes, port, host)
      }
      if (opts.connect ?? true) sock.connect(port, host, send)
      else sock.bind(0, isIPv6(host) ? '::1' : '127.0.0.1', send)
    })
  } finally {
    sock.close()
  }
}

/** One query over UDP: the first reply's bytes, or undefined when nothing came back in time. */
export async function udpQuery(host: string, port: number, msg: Bytes | Packet,
  opts: UdpOptions = {}): Promise<Buffer | undefined> {
  const [first] = await udpExchange(host, port, msg, opts, false)
  return first?.reply
}

/** Like udpQuery but with the reply's source address (for spoofing tests, use connect: false). */
export async function udpQueryFrom(host: string, port: number, msg: Bytes | Packet,
  opts: UdpOptions = {}): Promise<UdpReply | undefined> {
  const [first] = await udpExchange(host, port, msg, opts, false)
  return first
}

/** Every reply that arrives within timeoutMs (waits the full time; for "exactly one" checks). */
export function udpQueryAll(host: string, port: number, msg: Bytes | Packet,
  opts: UdpOptions = {}): Promise<UdpReply[]> {
  return udpExchange(host, port, msg, opts, true)
}

export interface TcpOptions {
  /** Total time allowed for connect plus all replies. Default 2000. */
  readonly timeoutMs?: number
}

/**
 * Queries over one TCP connection with 2-byte length framing. All messages are written at once
 * (pipelined); the replies are returned in arrival order, which may differ from query order.
 * Fewer replies than queries means the server closed the connection or the time ran out.
 */
async function tcpExchange(host: string, port: number, msgs: readonly (Bytes | Packet)[],
  opts: TcpOptions): Promise<Buffer[]> {
  const timeoutMs = opts.timeoutMs ?? 2000
  const framed = Buffer.concat(msgs.map((m) => {
    const b = toBytes(m)
    const len = Buffer.alloc(2)
    len.writeUInt16BE(b.length)
    return Buffer.concat([len, b])
  }))
  const replies: Buffer[] = []
  const sock = connect({ host, port })
  try {
    return await new Promise<Buffer[]>((resolve, reject) => {
      let pending = Buffer.alloc(0)
      const timer = setTimeout(() => resolve(replies), timeoutMs)
      const finish = (): void => {
        clearTimeout(timer)
        resolve(replies)
      }
      sock.on('connect', () => sock.write(framed))
      sock.on('error', (err) => {
        clearTimeout(timer)
        // a reset after some replies still tells the test what it needs to know
        if (replies.length > 0 && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
          resolve(replies)
        } else reject(err)
      })
      sock.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk])
        while (pending.length >= 2) {
          const len = pending.readUInt16BE(0)
          if (pending.length < 2 + len) break
          replies.push(Buffer.from(pending.subarray(2, 2 + len)))
          pending = pending.subarray(2 + len)
        }
        if (replies.length >= msgs.length) finish()
      })
      sock.on('end', finish)
      sock.on('close', finish)
    })
  } finally {
    sock.destroy()
  }
}

/** One query over TCP: the reply's bytes, or undefined when none came (timeout or close). */
export function tcpQuery(host: string, port: number, msg: Bytes | Packet,
  opts?: TcpOptions): Promise<Buffer | undefined>
/** Several pipelined queries on one connection: the replies in arrival order. */
export function tcpQuery(host: string, port: number, msgs: readonly (Bytes | Packet)[],
  opts?: TcpOptions): Promise<Buffer[]>
export async function tcpQuery(host: string, port: number,
  msgs: Bytes | Packet | readonly (Bytes | Packet)[],
  opts: TcpOptions = {}): Promise<Buffer | undefined | Buffer[]> {
  if (Array.isArray(msgs)) return tcpExchange(host, port, msgs, opts)
  const [first] = await tcpExchange(host, port, [msgs as Bytes | Packet], opts)
  return first
}
