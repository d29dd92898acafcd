// The request rules of rewrite (CoreDNS plugin/rewrite name.go, type.go, class.go, edns0.go,
// ttl.go, rcode.go, cname_target.go). A rule that applies changes the draft and returns the
// response rules it needs; one that does not returns undefined.

import type { RE2JS } from 're2js'
import { parseCidr } from '../../src/dns/cidr.ts'
import type { Addr } from '../../src/plugin/plugin.ts'
import { OPTION_SUBNET } from '../../src/wire/opt.ts'
import { expandGroups, memoized, submatches } from '../../src/plugin/regex.ts'
import type { Draft } from './draft.ts'
import { RemapRewriter, type ResponseRule } from './response.ts'

export type Mode = 'stop' | 'continue'
export type MatchType = 'exact' | 'prefix' | 'suffix' | 'substring' | 'regex'

export interface Rule {
  readonly mode: Mode
  apply(d: Draft): readonly ResponseRule[] | undefined
}

const NONE: readonly ResponseRule[] = []

/** How a name rule maps the (lowercased) name; undefined when it does not match. */
export type NameMapper = (name: string) => string | undefined

export function nameMapper(match: MatchType, from: string | RE2JS, to: string): NameMapper {
  if (typeof from !== 'string') {
    return memoized((name) => {
      const groups = submatches(from, name)
      return groups === undefined ? undefined : expandGroups(to, groups)
    })
  }
  switch (match) {
    case 'exact':
      return (name) => (name === from ? to : undefined)
    case 'prefix':
      return (name) => (name.startsWith(from) ? to + name.slice(from.length) : undefined)
    case 'suffix':
      return (name) => (name.endsWith(from) ? name.slice(0, -from.length) + to : undefined)
    default:
      return (name) => (name.includes(from) ? name.split(from).join(to) : undefined)
  }
}

/** `name [TYPE] FROM TO [answer ...]` */
export class NameRule implements Rule {
  readonly mode: Mode
  readonly #map: NameMapper
  /** `answer auto` (always for exact): map the new name back to the asked one in the reply. */
  readonly #auto: boolean
  readonly #answers: readonly ResponseRule[]

  constructor(mode: Mode, map: NameMapper, auto: boolean, answers: readonly ResponseRule[]) {
    this.mode = mode
    this.#map = map
    this.#auto = auto
    this.#answers = answers
  }

  apply(d: Draft): readonly ResponseRule[] | undefined {
    const asked = d.name
    const next = this.#map(asked)
    if (next === undefined) return undefined
    d.setName(next)
    if (!this.#auto) return this.#answers
    const back = new RemapRewriter(d.name, asked)
    return [{ kind: 'name', rewriter: back }, { kind: 'value', rewriter: back }, ...this.#answers]
  }
}

/** `type FROM TO` and `class FROM TO` */
export class QuestionRule implements Rule {
  readonly mode: Mode
  readonly #field: 'type' | 'klass'
  readonly #from: number
  readonly #to: number

  constructor(mode: Mode, field: 'type' | 'klass', from: number, to: number) {
    this.mode = mode
    this.#field = field
    this.#from = from
    this.#to = to
  }

  apply(d: Draft): readonly ResponseRule[] | undefined {
    if (d[this.#field] !== this.#from) return undefined
    d[this.#field] = this.#to
    return NONE
  }
}

/** `ttl`, `rcode` and `cname`: nothing changes in the query; the reply gets `response`. */
export class ReplyRule implements Rule {
  readonly mode: Mode
  readonly #test: (name: string) => boolean
  readonly #response: readonly ResponseRule[]

  constructor(mode: Mode, test: (name: string) => boolean, response: ResponseRule) {
    this.mode = mode
    this.#test = test
    this.#response = [response]
  }

  apply(d: Draft): readonly ResponseRule[] | undefined {
    return this.#test(d.name) ? this.#response : undefined
  }
}

export type EdnsAction = 'set' | 'replace' | 'append' | 'unset'

/** The option's data for this query; undefined when there is none (the rule does not apply). */
export type OptionData = (d: Draft) => Uint8Array | undefined

/**
 * `edns0 local|nsid|subnet ACTION ...`: set adds or replaces, replace only replaces, append only
 * adds, unset removes. The match is on the option code.
 */
export class EdnsRule implements Rule {
  readonly mode: Mode
  readonly #action: EdnsAction
  readonly #code: number
  readonly #data: OptionData

  constructor(mode: Mode, action: EdnsAction, code: number, data: OptionData) {
    this.mode = mode
    this.#action = action
    this.#code = code
    this.#data = data
  }

  apply(d: Draft): readonly ResponseRule[] | undefined {
    const data = this.#action === 'unset' ? new Uint8Array(0) : this.#data(d)
    if (data === undefined) return undefined
    const options = d.options()
    const at = options.findIndex((o) => o.code === this.#code)
    const option = { code: this.#code, data }
    switch (this.#action) {
      case 'set':
        if (at >= 0) options[at] = option
        else options.push(option)
        break
      case 'replace':
        if (at < 0) return undefined
        options[at] = option
        break
      case 'append':
        if (at >= 0) return undefined
        options.push(option)
        break
      case 'unset':
        if (at < 0) return undefined
        options.splice(0, options.length, ...options.filter((o) => o.code !== this.#code))
    }
    d.optChanged()
    return NONE
  }
}

function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff)
}

function addressBytes(a: Addr): readonly number[] | undefined {
  const host = a.address.split('%')[0]!
  return parseCidr(`${host}/${a.family === 4 ? 32 : 128}`)?.bytes
}

/** The variables of `edns0 local ... {variable}` (CoreDNS edns0VariableRule). */
export const VARIABLES: Readonly<Record<string, OptionData>> = {
  '{qname}': (d) => Buffer.from(d.qname, 'latin1'),
  '{qtype}': (d) => u16Bytes(d.type),
  '{client_ip}': (d) => bytesOf(addressBytes(d.w.remote)),
  '{server_ip}': (d) => bytesOf(addressBytes(d.w.local)),
  '{client_port}': (d) => u16Bytes(d.w.remote.port),
  '{server_port}': (d) => u16Bytes(d.w.local.port),
  '{protocol}': (d) => Buffer.from(d.w.proto, 'latin1'),
}

function bytesOf(b: readonly number[] | undefined): Uint8Array | undefined {
  return b === undefined ? undefined : Uint8Array.from(b)
}

/** EDNS Client Subnet (RFC 7871) from the client's address, cut to its family's prefix length. */
export function subnetData(v4Bits: number, v6Bits: number): OptionData {
  return (d) => {
    const addr = addressBytes(d.w.remote)
    if (addr === undefined) return undefined
    const v4 = addr.length === 4
    // A client's own ECS keeps its source prefix when that is shorter (CoreDNS fillEcsData):
    // the rule may narrow what the upstream learns of the client, never widen it.
    const own = d.options().find((o) => o.code === OPTION_SUBNET)?.data
    const ownBits = own !== undefined && own.length >= 4 ? own[2]! : 255
    const bits = Math.min(v4 ? v4Bits : v6Bits, ownBits)
    const out = new Uint8Array(4 + Math.ceil(bits / 8))
    out[1] = v4 ? 1 : 2
    out[2] = bits
    for (let i = 0; i < out.length - 4; i++) {
      const keep = Math.min(8, bits - i * 8)
      out[4 + i] = addr[i]! & ((0xff << (8 - keep)) & 0xff)
    }
    return out
  }
}
