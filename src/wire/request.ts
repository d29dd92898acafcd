// The wire-first request: the accept filter (miekg/dns DefaultMsgAcceptFunc), then header,
// question and OPT read straight from the bytes. dns-packet decodes only when `msg` is read.

import dnsPacket from 'dns-packet'
import type { Metadata } from '../plugin/metadata.ts'
import type { Edns, Msg, Request } from '../plugin/plugin.ts'
import { Rcode } from '../plugin/rcode.ts'
import { lowerName, readName, skipName, WireError } from './name.ts'
import { Flag, HEADER, layout, setU16, u16, u32 } from './message.ts'

/** parseQuery's answer when the packet must be ignored (responses, runt packets). */
export const DROP = -1

/** acceptHeader's answer for a header that passes the filter. */
export const ACCEPT = 0

const OPCODE_QUERY = 0
const OPCODE_NOTIFY = 4

export class WireRequest implements Request {
  readonly wire: Uint8Array
  readonly id: number
  flags: number
  readonly opcode: number
  readonly name: string
  readonly qname: string
  readonly type: number
  readonly class: number
  readonly questionEnd: number
  edns: Edns | undefined
  readonly proto: 'udp' | 'tcp'
  /**
   * Set by cancel (Request.deadline). Undefined until then: an epoch-ms number in a field is a
   * heap box of its own, which every query would allocate for the few that carry a deadline.
   */
  #deadline: number | undefined = undefined
  /** Set by the metadata plugin (Request.metadata). */
  metadata: Metadata | undefined = undefined
  #msg: Msg | undefined

  constructor(
    wire: Uint8Array,
    proto: 'udp' | 'tcp',
    qname: string,
    type: number,
    klass: number,
    questionEnd: number,
    edns: Edns | undefined,
  ) {
    this.wire = wire
    this.proto = proto
    this.id = u16(wire, 0)
    this.flags = u16(wire, 2)
    this.opcode = (this.flags >>> 11) & 0xf
    this.qname = qname
    this.name = lowerName(qname)
    this.type = type
    this.class = klass
    this.questionEnd = questionEnd
    this.edns = edns
  }

  get deadline(): number {
    return this.#deadline ?? Infinity
  }

  set deadline(ms: number) {
    this.#deadline = ms
  }

  /**
   * Takes on `from`'s per-request state, as a CoreDNS plugin's copy of a message keeps the
   * query's context: cancel's deadline, and the metadata store itself (what forward publishes
   * on the copy, log reads on the original). For requests a plugin derives from the client's.
   */
  carry(from: Request): this {
    if (from.deadline !== Infinity) this.#deadline = from.deadline
    this.metadata = from.metadata
    return this
  }

  get do(): boolean {
    return this.edns?.do === true
  }

  get cd(): boolean {
    return (this.flags & Flag.CD) !== 0
  }

  /** CoreDNS request.Size(): 65535 over TCP; else the EDNS size, at least 512. */
  get size(): number {
    if (this.proto === 'tcp') return 65535
    const s = this.edns?.udpSize ?? 512
    return s < 512 ? 512 : s
  }

  /**
   * bufsize: lower the advertised EDNS UDP size in place, bytes included, as CoreDNS mutates the
   * request: the next plugins and upstreams see the smaller size, and the server's writer
   * (which holds this request) truncates the reply to it and mirrors it.
   */
  limitUdpSize(max: number): void {
    const e = this.edns
    if (e === undefined || e.udpSize <= max) return
    setU16(this.wire, skipName(this.wire, e.offset) + 2, max)
    this.edns = { ...e, udpSize: max }
  }

  /**
   * header: the header flags word replaced in place, bytes included, as CoreDNS's header plugin
   * changes the request: the next plugins, upstreams and the server's own error replies see it.
   */
  setFlags(flags: number): void {
    setU16(this.wire, 2, flags)
    this.flags = flags
    this.#msg = undefined
  }

  get msg(): Msg {
    this.#msg ??= dnsPacket.decode(Buffer.from(this.wire.buffer, this.wire.byteOffset, this.wire.length))
    return this.#msg
  }
}

/**
 * miekg/dns DefaultMsgAcceptFunc on the header: DROP (responses, runts), NOTIMP (opcodes other
 * than QUERY and NOTIFY), FORMERR (not exactly one question, more than one answer or authority
 * RR, more than two additional RRs), or ACCEPT.
 */
export function acceptHeader(buf: Uint8Array): number {
  if (buf.length < HEADER) return DROP
  const flags = u16(buf, 2)
  if (flags & Flag.QR) return DROP
  const opcode = (flags >>> 11) & 0xf
  if (opcode !== OPCODE_QUERY && opcode !== OPCODE_NOTIFY) return Rcode.NotImp
  if (u16(buf, 4) !== 1 || u16(buf, 6) > 1 || u16(buf, 8) > 1 || u16(buf, 10) > 2) return Rcode.FormErr
  return ACCEPT
}

/**
 * Returns the parsed request, DROP (say nothing: responses and runts; "any reply can be used to
 * amplify"), or an rcode (FORMERR, NOTIMP, SERVFAIL) that headerReply answers.
 */
export function parseQuery(buf: Uint8Array, proto: 'udp' | 'tcp'): WireRequest | number {
  const verdict = acceptHeader(buf)
  if (verdict !== ACCEPT) return verdict
  // miekg unpacks a bare header as a message without a question: CoreDNS answers SERVFAIL
  if (buf.length === HEADER) return Rcode.ServFail
  try {
    const qname = readName(buf, HEADER)
    const qEnd = skipName(buf, HEADER)
    if (qEnd + 4 > buf.length) return Rcode.FormErr
    // most queries carry no record at all: nothing to lay out
    const l = u16(buf, 6) + u16(buf, 8) + u16(buf, 10) === 0 ? undefined : layout(buf)
    let edns: Edns | undefined
    if (l !== undefined && l.opt >= 0) {
      const start = l.starts[l.opt]!
      const ttlOff = l.ttls[l.opt]!
      const ttl = u32(buf, ttlOff)
      edns = {
        udpSize: u16(buf, ttlOff - 2),
        version: (ttl >>> 16) & 0xff,
        do: (ttl & 0x8000) !== 0,
        flags: ttl & 0xff00,
        offset: start,
        length: l.starts[l.opt + 1]! - start,
      }
    }
    return new WireRequest(buf, proto, qname, u16(buf, qEnd), u16(buf, qEnd + 2), qEnd + 4, edns)
  } catch (err) {
    if (err instanceof WireError) return Rcode.FormErr
    throw err
  }
}
