// The functions CoreDNS's expressions see (plugin/pkg/expression DefaultEnv): the query and its
// connection, read from the wire-parsed request, plus incidr and metadata, and the few expr-lang
// builtins real conditions use. Shared by every plugin that compiles an expression.

import { BlockList, isIP } from 'node:net'
import { metadataValue } from '../metadata.ts'
import type { Request, ResponseWriter } from '../plugin.ts'
import { className, typeName } from '../rrtype.ts'
import type { Env, Fn, Type, Value } from './parse.ts'

/** What an expression is evaluated against: one query and its writer. */
export interface RequestState {
  readonly r: Request
  readonly w: ResponseWriter
}

const fn0 = (result: Type, f: (s: RequestState) => Value): Fn<RequestState> =>
  ({ params: [], result, call: (s) => f(s) })
const str1 = (f: (x: string) => Value, result: Type = 'string'): Fn<RequestState> =>
  ({ params: ['string'], result, call: (_, [x]) => f(x as string) })
const str2 = (f: (x: string, y: string) => Value, result: Type = 'string'): Fn<RequestState> =>
  ({ params: ['string', 'string'], result, call: (_, [x, y]) => f(x as string, y as string) })

export const requestEnv: Env<RequestState> = {
  bufsize: fn0('int', (s) => s.r.size),
  class: fn0('string', (s) => className(s.r.class)),
  client_ip: fn0('string', (s) => s.w.remote.address),
  do: fn0('bool', (s) => s.r.do),
  id: fn0('int', (s) => s.r.id),
  name: fn0('string', (s) => s.r.name),
  opcode: fn0('int', (s) => s.r.opcode),
  port: fn0('string', (s) => String(s.w.remote.port)),
  proto: fn0('string', (s) => s.r.proto),
  server_ip: fn0('string', (s) => s.w.local.address),
  server_port: fn0('string', (s) => String(s.w.local.port)),
  size: fn0('int', (s) => s.r.wire.length),
  type: fn0('string', (s) => typeName(s.r.type)),
  incidr: str2(incidr, 'bool'),
  // '' for a label nobody published, or without the metadata plugin, as CoreDNS's
  metadata: { params: ['string'], result: 'string', call: (s, [l]) => metadataValue(s.r, l as string) ?? '' },
  // expr-lang builtins
  len: { params: ['any'], result: 'int', call: (_, [x]) => length(x!) },
  lower: str1((x) => x.toLowerCase()),
  upper: str1((x) => x.toUpperCase()),
  trim: str1((x) => x.trim()),
  trimPrefix: str2((x, p) => (x.startsWith(p) ? x.slice(p.length) : x)),
  trimSuffix: str2((x, p) => (p !== '' && x.endsWith(p) ? x.slice(0, -p.length) : x)),
  hasPrefix: str2((x, p) => x.startsWith(p), 'bool'),
  hasSuffix: str2((x, p) => x.endsWith(p), 'bool'),
}

function length(x: Value): number {
  if (typeof x === 'string') return [...x].length
  if (Array.isArray(x)) return x.length
  throw new Error(`invalid argument for len (type ${typeof x})`)
}

/** Go's net.ParseCIDR(cidr) Contains(net.ParseIP(ip)); errors as CoreDNS's incidr returns them. */
function incidr(ip: string, cidr: string): boolean {
  const family = isIP(ip)
  if (family === 0) throw new Error('first argument is not an IP address')
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr)
  const net = m ? isIP(m[1]!) : 0
  const bits = m ? Number(m[2]) : -1
  if (net === 0 || bits > (net === 4 ? 32 : 128)) throw new Error(`invalid CIDR address: ${cidr}`)
  let list = subnets.get(cidr)
  if (list === undefined) {
    if (subnets.size >= MAX_SUBNETS) subnets.clear()
    list = new BlockList()
    list.addSubnet(m![1]!, bits, net === 4 ? 'ipv4' : 'ipv6')
    subnets.set(cidr, list)
  }
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/** CIDRs seen, built once: they are the Corefile's literals, so a few; bounded all the same. */
const subnets = new Map<string, BlockList>()
const MAX_SUBNETS = 256
