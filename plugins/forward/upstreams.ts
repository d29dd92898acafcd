// The TO arguments of a forward stanza (CoreDNS parse.HostPortOrFile, parse.Transport, forward's
// splitZone and classifyToAddrs): `IP[:PORT]`, `[IPv6]:PORT`, `dns://...`,
// `tls://IP[%NAME][:PORT]`, `https://IP[:PORT]` (DNS over HTTPS), a resolv.conf-style file whose
// nameservers are used on port 53, or a hostname (`NAME[:PORT]` with any of the schemes), which
// is resolved when the configuration is loaded (resolve.ts).

import { isIP } from 'node:net'
import { resolve } from 'node:path'
import type { Token } from '../../src/corefile/ast.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { readBounded, UnreadableFile } from '../../src/corefile/read.ts'
import type { HostTo, To, Transport, Upstream } from './config.ts'

const PLUGIN = 'forward'
const PORTS: Readonly<Record<Transport, number>> = { dns: 53, tls: 853, https: 443 }
/** CoreDNS's cap on TOs per stanza (a file counts once, however many nameservers it lists). */
const MAX_TOS = 15

/**
 * The TOs in order, addresses deduplicated by IP:port (the first one wins, whatever its scheme,
 * as CoreDNS). A file without nameservers is skipped; none at all is an error at `name`.
 */
export function parseTos(
  name: Token,
  tokens: readonly Token[],
  dir: string,
  tlsServerName: string | undefined,
): To[] {
  const out: To[] = []
  const seen = new Set<string>()
  let entries = 0
  for (const t of tokens) {
    const list = parseTo(t, dir, tlsServerName)
    if (list.length > 0) entries++
    for (const u of list) {
      if ('hostname' in u) out.push(u)
      else if (!seen.has(u.to)) {
        seen.add(u.to)
        out.push(u)
      }
    }
  }
  if (entries > MAX_TOS) {
    const detail = `more than ${MAX_TOS} TOs configured: ${entries}`
    throw new CorefileError('COREFILE_VALUE', name, detail, PLUGIN)
  }
  if (out.length === 0) {
    throw new CorefileError('COREFILE_VALUE', name, 'no valid upstream addresses found', PLUGIN)
  }
  return out
}

function parseTo(t: Token, dir: string, tlsServerName: string | undefined): To[] {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(t.text)
  const transport = scheme?.[1]!.toLowerCase() ?? 'dns'
  let rest = t.text.slice(scheme?.[0].length ?? 0)
  if (transport !== 'dns' && transport !== 'tls' && transport !== 'https') {
    const detail = `'${transport}' is not supported as a destination protocol in forward: ${rest}`
    throw new CorefileError('COREFILE_UNSUPPORTED', t, detail, PLUGIN)
  }
  if (transport === 'https' && rest.includes('/')) {
    const detail = 'paths are not allowed in HTTPS upstream addresses (the /dns-query path is ' +
      `used by default): ${t.text}`
    throw new CorefileError('COREFILE_VALUE', t, detail, PLUGIN)
  }
  let serverName: string | undefined
  ;[rest, serverName] = splitServerName(rest)
  // %NAME names the TLS server of a tls:// upstream only; elsewhere it is dropped (CoreDNS)
  if (transport !== 'tls') serverName = undefined
  if (serverName !== undefined && tlsServerName !== undefined) {
    const detail = `both forward ('${tlsServerName}') and proxy level ('${serverName}') TLS ` +
      `servernames are set for upstream proxy '${rest}'`
    throw new CorefileError('COREFILE_VALUE', t, detail, PLUGIN)
  }
  serverName ??= transport === 'dns' ? undefined : tlsServerName
  const hp = splitHostPort(rest)
  const port = hp?.port === undefined ? PORTS[transport] : Number(hp.port)
  if (hp !== undefined && isIP(withoutScope(hp.host)) !== 0) {
    if (!/^\d+$/.test(hp.port ?? '0') || port < 1 || port > 65535) {
      const detail = `invalid port '${hp.port}' in '${t.text}'`
      throw new CorefileError('COREFILE_VALUE', t, detail, PLUGIN)
    }
    return [upstream(hp.host, port, transport, serverName)]
  }
  let servers
  try {
    servers = readResolvConf(resolve(dir, rest))
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err
    throw new CorefileError('COREFILE_VALUE', t, `cannot read '${rest}': ${err.message}`, PLUGIN)
  }
  if (servers !== undefined) return servers.map((ip) => upstream(ip, PORTS.dns, 'dns', undefined))
  const host: HostTo = { hostname: hp?.host ?? rest, port, transport, serverName }
  if (!isDomainName(host.hostname) || !/^\d+$/.test(hp?.port ?? '0') || port < 1 || port > 65535) {
    const detail = `not an IP address, file, or valid domain: '${t.text}'`
    throw new CorefileError('COREFILE_VALUE', t, detail, PLUGIN)
  }
  return [host]
}

/** miekg dns.IsDomainName: labels of 1 to 63 octets, at most 255 in all; not an IP. */
function isDomainName(name: string): boolean {
  const labels = name.replace(/\.$/, '').split('.')
  return name !== '' && isIP(name) === 0 && Buffer.byteLength(name) <= 254 &&
    labels.every((l) => l.length > 0 && Buffer.byteLength(l) <= 63)
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

/** Go's net.SplitHostPort, where a bare IPv6 address, bracketed or not, has no port. */
function splitHostPort(s: string): { host: string; port: string | undefined } | undefined {
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::([^:]*))?$/.exec(s)
    return m ? { host: m[1]!, port: m[2] } : undefined
  }
  const parts = s.split(':')
  if (parts.length === 2) return { host: parts[0]!, port: parts[1]! }
  return { host: s, port: undefined }
}

function withoutScope(host: string): string {
  const pct = host.indexOf('%')
  return pct === -1 ? host : host.slice(0, pct)
}

/** The upstream at `host` (an IP) and `port`. */
export function upstream(
  host: string,
  port: number,
  transport: Transport,
  serverName: string | undefined,
): Upstream {
  const family = isIP(withoutScope(host)) === 6 ? 6 : 4
  const canonical = family === 6 ? canonicalV6(host) : host
  const to = family === 6 ? `[${canonical}]:${port}` : `${canonical}:${port}`
  return { host: canonical, port, family, to, transport, serverName }
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
function readResolvConf(path: string): string[] | undefined {
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
