// Server block keys `[SCHEME://]ZONE[:PORT]` become listen keys, as in coredns
// core/dnsserver/register.go (InspectServerBlocks) and plugin/normalize.go (SplitHostPort).
// - A port is the text after the last colon when Go's Atoi takes it (sign, digits, int64);
//   otherwise the colon belongs to the zone (IPv6 CIDRs, `a:99999999999999999999`). A key port
//   wins over the default (-dns.port).
// - The zone must be a domain name as miekg/dns sees it (any bytes; labels of at most 63, the
//   wire name at most 255, no empty label) and is lowercased and made fully qualified.
// - A CIDR becomes its reverse zones (cidr.ts), all on the key's port.
// - dns:// and tls:// (DNS over TLS, default port 853 whatever -dns.port says) are served; the
//   other CoreDNS schemes are recognised and refused.
// - A zone, port and address is served once, except by blocks with a *view*: those are
//   alternatives the server picks from per query (core/dnsserver/register.go).

import type { ServerBlock, Token } from './ast.ts'
import { parseCidr, reverseZones } from '../dns/cidr.ts'
import { CorefileError, CorefileErrors } from './errors.ts'
import { listenHosts } from './listen.ts'

export type Transport = 'dns' | 'tls'

export interface ListenKey {
  readonly transport: Transport
  /** Lowercased FQDN (`.` for the root). */
  readonly zone: string
  readonly port: number
  /** The key as written, for errors about it. */
  readonly token: Token
}

const SCHEMES = ['dns', 'tls', 'quic', 'grpc', 'https', 'https3', 'unix']
/** CoreDNS transport.TLSPort: -dns.port sets the default of dns:// keys only. */
const TLS_PORT = 853

interface SplitKey {
  readonly scheme: string
  readonly zones: string[]
  readonly port: number | undefined
}

/** A key or zone argument taken apart, or CoreDNS's message saying why it is not one. */
function splitKey(text: string): SplitKey | string {
  const prefix = /^([a-z][a-z0-9]*):\/\//.exec(text)
  const scheme = prefix?.[1] ?? 'dns'
  if (!SCHEMES.includes(scheme))
    return `unknown scheme '${scheme}://' in '${text}', expecting dns:// or tls://`
  let host = text.slice(prefix?.[0].length ?? 0)
  let port: number | undefined
  const colon = host.lastIndexOf(':')
  if (colon === host.length - 1) return `expecting data after last colon: ${JSON.stringify(host)}`
  if (colon !== -1 && isGoInt(host.slice(colon + 1))) {
    port = Number(host.slice(colon + 1))
    host = host.slice(0, colon)
  }
  const invalid = zoneError(host)
  if (invalid) return invalid
  const net = parseCidr(host)
  if (net && (host.startsWith(':') || (host.startsWith('0') && host.includes(':')))) {
    return `invalid CIDR ${host}`
  }
  const hosts = net ? reverseZones(net) : [host]
  // register.go checks the fully qualified form again: it can be one byte too long
  const again = hosts.map((h) => zoneError(fqdn(h))).find((e) => e !== undefined)
  return again ?? { scheme, zones: hosts.map((h) => fqdn(h).toLowerCase()), port }
}

/** Go's strconv.Atoi accepts it: an optional sign and decimal digits that fit in an int64. */
function isGoInt(text: string): boolean {
  if (!/^[+-]?\d+$/.test(text)) return false
  const n = BigInt(text)
  return n >= -(2n ** 63n) && n < 2n ** 63n
}

function zoneError(host: string): string | undefined {
  const length = Buffer.byteLength(host)
  if (length > 255) return `specified zone is too long: ${length} > 255`
  if (!isDomainName(host)) return `zone is not a valid domain name: ${host}`
  return undefined
}

/**
 * The listen keys of one block, in key order. Throws CorefileErrors with every bad key: invalid
 * zones or ports, schemes tsdns does not serve, the same zone, port and address twice.
 */
export function listenKeys(block: ServerBlock, defaultPort: number): ListenKey[] {
  return listenKeysByBlock([block], defaultPort)[0]!
}

/**
 * listenKeys for a whole Corefile, with CoreDNS's listener check (register.go
 * validateZonesAndListeningAddresses): a zone and port are served once per listen address (the
 * block's `bind`, listen.ts), and a block without bind (every address) cannot share a zone and
 * port with a bound one. The later key is the one in error. A block with a *view* is checked
 * for the bound/unbound overlap but not registered: it may share its keys with any block.
 */
export function listenKeysByBlock(
  blocks: readonly ServerBlock[],
  defaultPort: number,
): ListenKey[][] {
  const errors: CorefileError[] = []
  const listeners = new Listeners()
  const result = blocks.map((block) => {
    const hosts = listenHosts(block)
    const filtered = block.directives.some((d) => d.name.text === 'view')
    return block.keys.flatMap((token): ListenKey[] => {
      const key = splitKey(token.text)
      if (typeof key === 'string') {
        errors.push(new CorefileError('COREFILE_KEY', token, key))
        return []
      }
      const transport = key.scheme
      if (transport !== 'dns' && transport !== 'tls') {
        const detail = `${transport}:// is not supported by tsdns, only dns:// and tls:// are: '${token.text}'`
        errors.push(new CorefileError('COREFILE_UNSUPPORTED', token, detail))
        return []
      }
      const port = key.port ?? (transport === 'tls' ? TLS_PORT : defaultPort)
      if (port < 0 || port > 65535) {
        const detail = `invalid port ${port} in '${token.text}', expecting 0-65535`
        errors.push(new CorefileError('COREFILE_KEY', token, detail))
        return []
      }
      return key.zones.flatMap((zone) => {
        for (const host of hosts) {
          const clash = listeners.register(`${transport}://${zone}:${port}`, host, token, filtered)
          if (clash) {
            errors.push(new CorefileError('COREFILE_KEY', token, clash))
            return []
          }
        }
        return [{ transport, zone, port, token }]
      })
    })
  })
  if (errors.length > 0) throw new CorefileErrors(errors)
  return result
}

/**
 * CoreDNS's warning for zones outside RFC 1035's preferred syntax (register.go checkZoneSyntax):
 * letters, digits and hyphens, each label starting with a letter; the root and reverse zones
 * pass. Such a zone is served all the same; the warning catches typos like `.:53 {errors`.
 */
export function zoneSyntaxWarnings(keys: readonly (readonly ListenKey[])[]): CorefileError[] {
  const out: CorefileError[] = []
  for (const key of keys.flat()) {
    if (key.zone === '.' || /\.(in-addr|ip6)\.arpa\.$/.test(key.zone)) continue
    if (/^(?:[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+$/.test(key.zone)) continue
    const brace = key.token.text === '}'
      ? "; a '}' where keys start is a key, as in CoreDNS (check for an extra '}')"
      : key.token.text.startsWith('{') || key.token.text.endsWith('}')
        ? "; a '{' or '}' opens or closes a block only as a word of its own" : ''
    const detail = `Domain ${JSON.stringify(key.zone)} does not follow RFC1035 preferred syntax${brace}`
    out.push(new CorefileError('COREFILE_KEY', key.token, detail))
  }
  return out
}

/**
 * CoreDNS's zoneOverlap (core/dnsserver/address.go): the (transport, zone, port) and address
 * pairs seen so far. A filtered (view) key is checked, never registered.
 */
class Listeners {
  readonly #seen = new Map<string, Token>()
  /** Per transport, zone and port, the first pair registered, bound or not. */
  readonly #first = new Map<string, { host: string; token: Token }>()

  /** Registers `url` (`dns://zone:port`) on host, or says why it cannot be served. */
  register(url: string, host: string, token: Token, filtered: boolean): string | undefined {
    const name = (h: string): string => `${url}${h === '' ? '' : ` on ${h}`}`
    const at = (t: Token): string => `(at ${t.file}:${t.line}:${t.col})`
    const same = this.#seen.get(`${url}|${host}`)
    if (same && !filtered) return `cannot serve ${name(host)} - it is already defined ${at(same)}`
    const first = this.#first.get(url)
    const unbound = this.#seen.get(`${url}|`)
    const other = host === '' ? first && first.host !== '' && first : unbound && { host: '', token: unbound }
    if (other) {
      const detail = `zone overlap listener capacity with ${name(other.host)} ${at(other.token)}`
      return `cannot serve ${name(host)} - ${detail}`
    }
    if (filtered) return undefined
    this.#seen.set(`${url}|${host}`, token)
    if (!first) this.#first.set(url, { host, token })
    return undefined
  }
}

/**
 * CoreDNS plugin.Host(text).NormalizeExact(): drop a scheme and port, expand a CIDR into its
 * reverse zones, lowercase, fully qualify. Throws an Error with CoreDNS's message when invalid.
 */
export function normalizeZone(text: string): string[] {
  const key = splitKey(text)
  if (typeof key === 'string') throw new Error(key)
  return key.zones
}

/** normalizeZone for ZONES arguments: the zones of every token, an error pointing at a bad one. */
export function normalizeZones(tokens: readonly Token[], plugin?: string): string[] {
  return tokens.flatMap((t) => {
    const key = splitKey(t.text)
    if (typeof key === 'string') throw new CorefileError('COREFILE_VALUE', t, key, plugin)
    return key.zones
  })
}

/** miekg/dns Fqdn: append a dot unless the name ends in one that is not escaped. */
function fqdn(name: string): string {
  if (!name.endsWith('.')) return `${name}.`
  const backslashes = /\\*$/.exec(name.slice(0, -1))![0].length
  return backslashes % 2 === 0 ? name : `${name}.`
}

/** miekg/dns IsDomainName: labels under 64 bytes, at most 255 on the wire, no empty label. */
function isDomainName(name: string): boolean {
  if (name === '') return false
  const s = Buffer.from(fqdn(name), 'utf8')
  const [backslash, dot] = [0x5c, 0x2e]
  let wire = 0
  let begin = 0
  let wasDot = false
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (ch === backslash) {
      // \DDD is one byte, \X is X
      const skip = /^\\\d{3}/.test(s.subarray(i, i + 4).toString('latin1')) ? 3 : 1
      i += skip
      begin += skip
      wasDot = false
    } else if (ch === dot) {
      if ((i === 0 && s.length > 1) || wasDot) return false
      wasDot = true
      const label = i - begin
      if (label >= 64) return false
      wire += 1 + label
      if (wire > 256) return false
      begin = i + 1
    } else wasDot = false
  }
  return true
}
