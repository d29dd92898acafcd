// One loaded zone and its lookup, after CoreDNS plugin/file (zone.go, lookup.go, tree/): the apex
// SOA and NS apart, every other RRset by owner and type; names that have names below them are
// kept too, to tell an empty non-terminal (NODATA) from a name that does not exist (NXDOMAIN).
// A lookup walks the name from the apex down: a DNAME on the way is applied (RFC 6672), an NS
// is a delegation (RFC 1034 §4.3.2), a missing name may be synthesized from a wildcard (RFC 4592),
// CNAMEs are followed inside the zone and a target outside it is left to the server.

import { inZone } from '../../src/plugin/zones.ts'
import { nameWire } from '../../src/dns/rr.ts'
import { Type } from '../../src/plugin/rrtype.ts'
import { soaSerial, type ZoneRecord } from './zonefile.ts'

export const Result = {
  Success: 0,
  NameError: 1,
  Delegation: 2,
  NoData: 3,
  ServerFailure: 4,
} as const
export type Result = (typeof Result)[keyof typeof Result]

export interface Answer {
  readonly answer: ZoneRecord[]
  readonly authority: readonly ZoneRecord[]
  readonly additional: ZoneRecord[]
  readonly result: Result
  /**
   * A CNAME target the zone does not answer for: what the server answers for it (type, rcode)
   * completes this answer (CoreDNS asks its upstream, i.e. its own server).
   */
  readonly external?: string
}

/** CNAMEs followed inside the zone after the first (CoreDNS stops after 1 + 9). */
const MAX_CHASE = 8

type Elem = Map<number, ZoneRecord[]>

export class ZoneError extends Error {
  override name = 'ZoneError'
}

export class Zone {
  readonly origin: string
  readonly soa: ZoneRecord
  readonly ns: readonly ZoneRecord[]
  readonly serial: number
  /** Records stored, apex included. */
  readonly size: number
  readonly #names = new Map<string, Elem>()
  /** Names with at least one owner strictly below them (CoreDNS hasDescendant). */
  readonly #parents = new Set<string>()

  /** The zone of `records` (as read from `file`, for messages); CoreDNS Zone.Insert's rules. */
  constructor(origin: string, records: readonly ZoneRecord[], file: string) {
    this.origin = origin
    let soa: ZoneRecord | undefined
    const ns: ZoneRecord[] = []
    for (const rr of records) {
      if (rr.type === Type.NSEC3 || rr.type === Type.NSEC3PARAM) {
        const why = `NSEC3 zone is not supported, dropping RR: ${rr.name} for zone: ${origin}`
        throw new ZoneError(why)
      }
      if (rr.type === Type.SOA) soa = rr
      else if (rr.type === Type.NS && rr.name === origin) ns.push(rr)
      else this.#insert(rr)
    }
    if (soa === undefined) {
      throw new ZoneError(`file "${file}" has no SOA record for origin ${origin}`)
    }
    this.soa = soa
    this.ns = ns
    this.serial = soaSerial(soa.rdata)
    this.size = records.length
  }

  #insert(rr: ZoneRecord): void {
    let elem = this.#names.get(rr.name)
    if (elem === undefined) {
      elem = new Map()
      this.#names.set(rr.name, elem)
      let p = parentName(rr.name)
      for (; p !== undefined && !this.#parents.has(p); p = parentName(p)) this.#parents.add(p)
    }
    const set = elem.get(rr.type)
    if (set === undefined) elem.set(rr.type, [rr])
    else set.push(rr)
  }

  /** The answer for `qname` (lowercased, in this zone); `depth`: lookups it is nested in. */
  lookup(qname: string, qtype: number, depth: number): Answer {
    if (qname === this.origin) {
      if (qtype === Type.SOA) return this.#positive([this.soa], [])
      if (qtype === Type.NS) {
        const glue = this.#glue(this.ns)
        return { answer: [...this.ns], authority: [], additional: glue, result: Result.Success }
      }
    }
    if (depth > MAX_CHASE) return failure()

    let elem: Elem | undefined
    let wildElem: Elem | undefined
    let wildName: string | undefined
    for (const name of this.#pathTo(qname)) {
      elem = this.#names.get(name)
      if (elem === undefined) {
        // a wildcard at this level may synthesize the answer if nothing closer exists
        const wildcard = `*.${parentName(name) ?? ''}`
        const wild = this.#names.get(wildcard)
        if (wild !== undefined || this.#parents.has(wildcard)) {
          wildElem = wild
          wildName = wildcard
        }
        continue
      }
      const dname = elem.get(Type.DNAME)?.[0]
      if (dname !== undefined && name !== qname) return this.#dname(qname, qtype, dname)
      const cut = this.#delegation(elem, name, qname, qtype)
      if (cut !== undefined) return cut
    }

    if (elem !== undefined) {
      const cname = elem.get(Type.CNAME)
      if (cname !== undefined && qtype !== Type.CNAME) return this.#chase(qtype, [...cname])
      const rrs = elem.get(qtype)
      if (rrs === undefined) return this.#negative(Result.NoData)
      return this.#positive([...rrs], this.#additional(rrs))
    }

    if (wildName !== undefined && !this.#closerEnt(qname, wildName)) {
      if (wildElem === undefined) return this.#negative(Result.NoData)
      const cname = wildElem.get(Type.CNAME)
      if (cname !== undefined && qtype !== Type.CNAME) {
        return this.#chase(qtype, renamed(cname, qname))
      }
      const rrs = wildElem.get(qtype)
      if (rrs === undefined) return this.#negative(Result.NoData)
      const answer = renamed(rrs, qname)
      return this.#positive(answer, this.#additional(answer))
    }
    // an empty non-terminal: no records, but names below it exist
    return this.#negative(this.#parents.has(qname) ? Result.Success : Result.NameError)
  }

  /** SOA in authority for a negative answer (RFC 2308), NS for a positive one. */
  authority(result: Result): readonly ZoneRecord[] {
    return result === Result.NameError || result === Result.NoData ? [this.soa] : this.ns
  }

  /** A and AAAA of in-zone MX and SRV targets, once per target. */
  additionalFor(answer: readonly ZoneRecord[]): ZoneRecord[] {
    return this.#additional(answer)
  }

  #positive(answer: ZoneRecord[], additional: ZoneRecord[]): Answer {
    return { answer, authority: this.ns, additional, result: Result.Success }
  }

  #negative(result: Result): Answer {
    return { answer: [], authority: [this.soa], additional: [], result }
  }

  /** The names from the apex down to `qname`, apex first. */
  #pathTo(qname: string): string[] {
    const path: string[] = []
    for (let n: string | undefined = qname; n !== undefined; n = parentName(n)) {
      path.push(n)
      if (n === this.origin) break
    }
    return path.reverse()
  }

  /** A referral at `name` if it owns NS; a DS query for the cut itself is the parent's. */
  #delegation(elem: Elem, name: string, qname: string, qtype: number): Answer | undefined {
    const ns = elem.get(Type.NS)
    if (ns === undefined || (qtype === Type.DS && name === qname)) return undefined
    return { answer: [], authority: ns, additional: this.#glue(ns), result: Result.Delegation }
  }

  /** RFC 6672: the DNAME, the CNAME it synthesizes for `qname`, and where that leads. */
  #dname(qname: string, qtype: number, dname: ZoneRecord): Answer {
    const target = substitute(qname, dname.name, dname.target!)
    // a substitution that leaves the name as it was can only loop
    if (target === undefined || target.toLowerCase() === qname) return failure()
    const cname: ZoneRecord = {
      name: qname,
      owner: nameWire(qname),
      type: Type.CNAME,
      class: dname.class,
      ttl: dname.ttl,
      rdata: nameWire(target),
      target,
    }
    if (qtype === Type.CNAME) {
      return { answer: [dname, cname], authority: this.ns, additional: [], result: Result.Success }
    }
    const rest = this.#chase(qtype, [cname])
    return { ...rest, answer: [dname, ...rest.answer] }
  }

  /** CoreDNS externalLookup: follow `rrs`' last CNAME through the zone. */
  #chase(qtype: number, rrs: ZoneRecord[]): Answer {
    for (let hops = 0; ; hops++) {
      const target = rrs.at(-1)!.target!.toLowerCase()
      const elem = inZone(this.origin, target) ? this.#names.get(target) : undefined
      const cut = inZone(this.origin, target) ? this.#cutAbove(target, qtype, elem) : undefined
      if (cut !== undefined) return { ...cut, answer: rrs }
      const apexSoa = qtype === Type.SOA && target === this.origin
      if (elem === undefined || qtype === Type.NS || apexSoa) {
        return { ...pending(rrs), external: target }
      }
      const cname = elem.get(Type.CNAME)
      if (cname === undefined) {
        rrs.push(...(elem.get(qtype) ?? []))
        return this.#positive(rrs, this.#additional(rrs))
      }
      rrs.push(...cname)
      if (hops >= MAX_CHASE) return this.#positive(rrs, this.#additional(rrs))
    }
  }

  /** The first zone cut between the apex (excluded) and `name` (CoreDNS findDelegation). */
  #cutAbove(name: string, qtype: number, exact: Elem | undefined): Answer | undefined {
    for (const n of this.#pathTo(name).slice(1)) {
      const elem = n === name ? exact : this.#names.get(n)
      const cut = elem === undefined ? undefined : this.#delegation(elem, n, name, qtype)
      if (cut !== undefined) return cut
    }
    return undefined
  }

  /** RFC 4592 §2.2.2: an empty non-terminal between the wildcard's parent and qname blocks it. */
  #closerEnt(qname: string, wildName: string): boolean {
    const parent = wildName.slice(2)
    let n = parentName(qname)
    for (; n !== undefined && n !== parent && inZone(parent, n); n = parentName(n)) {
      if (this.#parents.has(n)) return true
    }
    return false
  }

  /** Addresses of in-zone NS targets below the cut (glue). */
  #glue(ns: readonly ZoneRecord[]): ZoneRecord[] {
    const out: ZoneRecord[] = []
    for (const rr of ns) {
      const target = rr.target!
      if (inZone(rr.name, target)) this.#addresses(target, out)
    }
    return out
  }

  #additional(answer: readonly ZoneRecord[]): ZoneRecord[] {
    const out: ZoneRecord[] = []
    let seen: Set<string> | undefined
    for (const rr of answer) {
      if (rr.type !== Type.MX && rr.type !== Type.SRV) continue
      const target = rr.target!.toLowerCase()
      if (!inZone(this.origin, target) || seen?.has(target)) continue
      ;(seen ??= new Set()).add(target)
      this.#addresses(target, out)
    }
    return out
  }

  #addresses(name: string, out: ZoneRecord[]): void {
    const elem = this.#names.get(name)
    if (elem === undefined) return
    out.push(...(elem.get(Type.A) ?? []), ...(elem.get(Type.AAAA) ?? []))
  }
}

/** The chased records so far, waiting for what the server says about their last target. */
function pending(answer: ZoneRecord[]): Answer {
  return { answer, authority: [], additional: [], result: Result.Success }
}

function failure(): Answer {
  return { answer: [], authority: [], additional: [], result: Result.ServerFailure }
}

/** Wildcard records answered with the query name as owner. */
function renamed(rrs: readonly ZoneRecord[], qname: string): ZoneRecord[] {
  const owner = nameWire(qname)
  return rrs.map((rr) => ({ ...rr, name: qname, owner }))
}

/** `name` without its first label; undefined for the root. Escaped dots do not end a label. */
function parentName(name: string): string | undefined {
  if (name === '.') return undefined
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '\\') i++
    else if (name[i] === '.') return i === name.length - 1 ? '.' : name.slice(i + 1)
  }
  return undefined
}

/** RFC 6672 §2.2: qname's labels below `owner`, then `target`; undefined when not below. */
function substitute(qname: string, owner: string, target: string): string | undefined {
  if (qname === owner || !inZone(owner, qname)) return undefined
  const prefix = qname.slice(0, qname.length - (owner === '.' ? 0 : owner.length))
  return target === '.' ? prefix : prefix + target
}
