// The query as the request rules leave it: name, type, class and EDNS options, changed by the
// rules in order and turned into a new wire request only when something did change.

import type { Edns, Request, ResponseWriter } from '../../src/plugin/plugin.ts'
import { HEADER, setU16, u16, u32 } from '../../src/wire/message.ts'
import { lowerName, skipName } from '../../src/wire/name.ts'
import {
  encodeOpt,
  readOptHeader,
  readOptions,
  type EdnsOption,
  type OptHeader,
} from '../../src/wire/opt.ts'
import { WireRequest } from '../../src/wire/request.ts'
import { wireName } from './wire.ts'

/** CoreDNS SetEdns0(4096, false) for a query that had no OPT. */
const NEW_OPT: OptHeader = { udpSize: 4096, ttl: 0 }

export class Draft {
  readonly r: Request
  readonly w: ResponseWriter
  /** The question name as it will be sent. */
  qname: string
  type: number
  klass: number
  /** A name a rule produced that is not a domain name (the query fails with SERVFAIL). */
  invalid: string | undefined
  #name: string
  /** The new name in wire form, once a rule changed it. */
  #wireName: Uint8Array | undefined
  #opt: { header: OptHeader; options: EdnsOption[] } | undefined
  #optChanged = false

  constructor(r: Request, w: ResponseWriter) {
    this.r = r
    this.w = w
    this.qname = r.qname
    this.#name = r.name
    this.type = r.type
    this.klass = r.class
  }

  /** The current name, lowercased: what the rules match (CoreDNS state.Name()). */
  get name(): string {
    return this.#name
  }

  setName(name: string): void {
    const wire = wireName(name)
    if (wire === undefined) {
      this.invalid = name
      return
    }
    this.qname = name
    this.#name = lowerName(name)
    this.#wireName = wire
  }

  get nameChanged(): boolean {
    return this.#wireName !== undefined
  }

  /** The query had no OPT and a rule gave it one: the client must not get one back. */
  get optAdded(): boolean {
    return this.#optChanged && this.r.edns === undefined
  }

  get changed(): boolean {
    const r = this.r
    return this.nameChanged || this.type !== r.type || this.klass !== r.class || this.#optChanged
  }

  /** The OPT's options, to be edited; call optChanged() after a change. */
  options(): EdnsOption[] {
    if (this.#opt === undefined) {
      const e = this.r.edns
      const wire = this.r.wire
      const ttlOff = e === undefined ? -1 : skipName(wire, e.offset) + 4
      this.#opt =
        ttlOff < 0
          ? { header: NEW_OPT, options: [] }
          : { header: readOptHeader(wire, ttlOff), options: readOptions(wire, ttlOff) }
    }
    return this.#opt.options
  }

  optChanged(): void {
    this.#optChanged = true
  }

  /**
   * The rewritten query: the original header, the new question, and the OPT (other additional
   * records, such as a TSIG, cannot survive a rewrite and are dropped).
   */
  request(): Request {
    const r = this.r
    const qname = this.#wireName ?? r.wire.subarray(HEADER, r.questionEnd - 4)
    const opt =
      this.#optChanged && this.#opt !== undefined
        ? encodeOpt(this.#opt.header, this.#opt.options)
        : r.edns !== undefined
          ? r.wire.subarray(r.edns.offset, r.edns.offset + r.edns.length)
          : undefined
    const out = new Uint8Array(HEADER + qname.length + 4 + (opt?.length ?? 0))
    out.set(r.wire.subarray(0, 4))
    setU16(out, 4, 1)
    setU16(out, 10, opt === undefined ? 0 : 1)
    out.set(qname, HEADER)
    const o = HEADER + qname.length
    setU16(out, o, this.type)
    setU16(out, o + 2, this.klass)
    const questionEnd = o + 4
    let edns: Edns | undefined
    if (opt !== undefined) {
      out.set(opt, questionEnd)
      const ttl = u32(opt, 5)
      const version = (ttl >>> 16) & 0xff
      const dnssecOk = (ttl & 0x8000) !== 0
      const udpSize = u16(opt, 3)
      const flags = ttl & 0xff00
      edns = { udpSize, version, do: dnssecOk, flags, offset: questionEnd, length: opt.length }
    }
    // Built here, so known to be well formed: no need to parse it again.
    return new WireRequest(out, r.proto, this.qname, this.type, this.klass, questionEnd, edns).carry(r)
  }
}
