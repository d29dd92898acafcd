// The TO arguments of a forward stanza (CoreDNS parse.HostPortOrFile, parse.Transport and
// forward's splitZone): `IP[:PORT]`, `[IPv6]:PORT`, `dns://...`, `tls://IP[%NAME][:PORT]`, or a
// resolv.conf-style file whose nameservers are used on port 53.

import { isIP } from 'node:net'
import { resolve } from 'node:path'
import type { Token } from '../../src/corefile/ast.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { readBounded, UnreadableFile } from '../../src/corefile/read.ts'
import type { Upstream } from './config.ts'

const PLUGIN = 'forward'
const DNS_PORT = 53
const TLS_PORT = 853

/** The upstreams of the TO tokens, deduplicated, in order. Files resolve against `dir`. */
export function parseUpstreams(
  tokens: readonly Token[],
  dir: string,
  tlsServerName: string | undefined,
): Upstream[] {
  const seen = new Map<string, Upstream>()
  let empty: Token | undefined
  for (const t of tokens) {
    const list = parseTo(t, dir, tlsServerName)
    if (list.length === 0) empty ??= t
    for (const u of list) {
      const key = `${u.tls ? 'tls' : 'dns'}://${u.to}`
      if (!seen.has(key)) seen.set(key, u)
    }
  }
  if (seen.size === 0) {
    throw new CorefileError('COREFILE_VALUE', empty ?? tokens[0]!, 'no nameservers found', PLUGIN)
  }
  return [...seen.values()]
}

function parseTo(t: Token, dir: string, tlsServerName: string | undefined): Upstream[] {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(t.text)
  const transport = scheme?.[1]!.toLowerCase() ?? 'dns'
  let rest = t.text.slice(scheme?.[0].length ?? 0)
  if (transport !== 'dns' && transport !== 'tls') {
    const detail = `'${transport}' is not supported as a destination protocol in forward: ${rest}`
    throw new CorefileError('COREFILE_UNSUPPORTED', t, detail, PLUGIN)
  }
  const tls = transport === 'tls'
  let serverName: string | undefined
  if (tls) [rest, serverName] = splitServerName(rest)
  if (serverName !== undefined && tlsServerName !== undefined) {
    const detail = `both forward ('${tlsServerName}') and proxy level ('${serverName}') TLS ` +
      `servernames are set for upstream proxy '${rest}'`
    throw new CorefileError('COREFILE_VALUE', t, detail, PLUGIN)
  }
  const hp = splitHostPort(rest)
  if (hp !== undefined && isIP(withoutScope(hp.host)) !== 0) {
    const port = hp.port === undefined ? (tls ? TLS_PORT : DNS_PORT) : Number(hp.port)
    if (!/^\d+$/.test(hp.port ?? '0') || port < 1 || port > 65535) {
      const detail = `invalid port '${hp.port}' in '${t.text}'`
      throw new CorefileError('COREFILE_VALUE', t, detail, PLUGIN)
    }
    return [upstream(hp.host, port, tls, serverName ?? tlsServerName)]
  }
  let servers
  try {
    servers = readResolvConf(resolve(dir, rest))
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err
    throw new CorefileError('COREFILE_VALUE', t, `cannot read '${rest}': ${err.message}`, PLUGIN)
  }
  if (servers === undefined) {
    throw new CorefileError('COREFILE_VALUE', t, `not an IP address or file: '${rest}'`, PLUGIN)
  }
  return servers.map((ip) => upstream(ip, DNS_PORT, false))
}

/** `9.9.9.9%dns.quad9.net:853` -> [`9.9.9.9:853`, `dns.quad9.net`] (CoreDNS splitZone). */
function splitServerName(host: string): [string, string | undefined] {
  const pct = host.lastIndexOf('%')
  if (pct === -1) return [host, undefined]
  let addr = host.slice(0, pct)
  if (addr.startsWith('[')) addr += ']'
  let name = host.slice(pct + 1)
  const colon = name.lastIndexOf(':')
  if (colon !== -1) {
    addr += name.slice(colon)
    name = name.slice(0, colon).replace(/\]$/, '')
  }
  return [addr, name]
}

/** Go's net.SplitHostPort, where a bare IPv6 address (several colons) has no port. */
function splitHostPort(s: string): { host: string; port: string | undefined } | undefined {
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\]:([^:]*)$/.exec(s)
    return m ? { host: m[1]!, port: m[2]! } : undefined
  }
  const parts = s.split(':')
  if (parts.length === 2) return { host: parts[0]!, port: parts[1]! }
  return { host: s, port: undefined }
}

function withoutScope(host: string): string {
  const pct = host.indexOf('%')
  return pct === -1 ? host : host.slice(0, pct)
}

function upstream(host: string, port: number, tls: boolean, serverName?: string): Upstream {
  const family = isIP(withoutScope(host)) === 6 ? 6 : 4
  const canonical = family === 6 ? canonicalV6(host) : host
  const to = family === 6 ? `[${canonical}]:${port}` : `${canonical}:${port}`
  return { host: canonical, port, family, to, tls, serverName }
}

/** IPv6 as Node reports a peer address (compressed, lowercase), so source checks compare equal. */
function canonicalV6(host: string): string {
  const pct = host.indexOf('%')
  const addr = pct === -1 ? host : host.slice(0, pct)
  const scope = pct === -1 ? '' : host.slice(pct)
  return new URL(`http://[${addr}]/`).hostname.slice(1, -1) + scope
}

/**
 * The largest resolv.conf read (CoreDNS reads any size): glibc uses 3 nameservers and 6 search
 * domains, so real files are well under 1 KiB.
 */
const MAX_RESOLV_CONF_BYTES = 64 << 10

/**
 * The IP nameservers of a resolv.conf-style file (miekg ClientConfigFromFile); undefined when it
 * cannot be opened. Throws UnreadableFile for one that is not a regular file or is too large.
 */
export function readResolvConf(path: string): string[] | undefined {
  let text: string
  try {
    text = readBounded(path, MAX_RESOLV_CONF_BYTES)
  } catch (err) {
    if (err instanceof UnreadableFile) throw err
    return undefined
  }
  const servers: string[] = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    const ip = f[0] === 'nameserver' ? f[1] : undefined
    if (ip !== undefined && isIP(withoutScope(ip)) !== 0) servers.push(ip)
  }
  return servers
}
