// The hosts handler (CoreDNS plugin/hosts/hosts.go): A, AAAA and generated PTR answers from
// hosts entries, authoritative. A known name asked for another type gets NODATA; an unknown
// name falls through, or gets SERVFAIL (there is no SOA to make an NXDOMAIN with).

import {
  type Handler,
  type HandlerResult,
  nextOrFailure,
  type Request,
  type RequestContext,
  type ResponseWriter,
} from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { type Fall, matchZone } from '../../src/plugin/zones.ts'
import { buildReply, encodeRr } from '../../src/dns/answer.ts'
import { nameWire } from '../../src/dns/rr.ts'
import type { Hostsfile } from './hostsfile.ts'
import { reverseAddress } from './reverse.ts'
import { Class, Type } from '../../src/plugin/rrtype.ts'

const NAME = 'hosts'

export interface HostsOptions {
  readonly origins: readonly string[]
  readonly ttl: number
  readonly fall: Fall
  /** fallthrough_unsupported: types other than A, AAAA and PTR of a known name fall through too. */
  readonly fallUnsupported: boolean
}

export class HostsHandler implements Handler {
  readonly name = NAME
  readonly #hosts: Hostsfile
  readonly #opts: HostsOptions
  readonly #next: Handler | undefined

  constructor(hosts: Hostsfile, opts: HostsOptions, next: Handler | undefined) {
    this.#hosts = hosts
    this.#opts = opts
    this.#next = next
  }

  serveDNS(ctx: RequestContext, w: ResponseWriter, r: Request): HandlerResult {
    const name = r.name
    // PTR names need not be in the zones: the addresses are what is looked up
    if (r.type !== Type.PTR && matchZone(this.#opts.origins, name) === undefined) {
      return nextOrFailure(NAME, this.#next, ctx, w, r)
    }
    let rdata: readonly Uint8Array[] = []
    switch (r.type) {
      case Type.PTR: {
        const ip = reverseAddress(name)
        rdata = ip === undefined ? [] : this.#hosts.ptr(ip)
        if (rdata.length === 0) return nextOrFailure(NAME, this.#next, ctx, w, r)
        break
      }
      case Type.A:
        rdata = this.#hosts.v4(name)
        break
      case Type.AAAA:
        rdata = this.#hosts.v6(name)
        break
    }
    if (rdata.length === 0) {
      const known = this.#hosts.v4(name).length > 0 || this.#hosts.v6(name).length > 0
      const supported = r.type === Type.A || r.type === Type.AAAA || r.type === Type.PTR
      const pass = known ? this.#opts.fallUnsupported && !supported : true
      if (pass && this.#opts.fall.through(name)) return nextOrFailure(NAME, this.#next, ctx, w, r)
      if (!known) return Rcode.ServFail
    }
    const records = rdata.length === 0 ? [] : this.#records(r, rdata)
    w.write(buildReply(r, Rcode.NoError, 0, records), NAME)
    return Rcode.NoError
  }

  /** Answers owned by the lowercased query name, as CoreDNS writes them. */
  #records(r: Request, rdata: readonly Uint8Array[]): Uint8Array[] {
    const owner = nameWire(r.name)
    const records: Uint8Array[] = []
    for (const d of rdata) {
      const rr = {
        name: r.name,
        owner,
        type: r.type,
        class: Class.IN,
        ttl: this.#opts.ttl,
        rdata: d,
      }
      records.push(encodeRr(rr, r))
    }
    return records
  }
}
