// A real unbound on loopback ports, for tests of the forward plugin and for benchmarks.
// Two modes:
//   authoritative (default): answers the test's local-zone/local-data, REFUSED (or NXDOMAIN)
//     for everything else; it has nothing to recurse to, so it never touches the network.
//   caching forwarder (forwardTo): forward-zone "." to loopback upstreams only.
// It listens on UDP+TCP and, unless tls is false, on a DNS-over-TLS port with a certificate made
// at start. It runs in the foreground (-d) as the current user, chroot and remote-control off,
// everything in a temp dir that stop() removes.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateCert } from './cert.ts'
import { freePorts } from './ports.ts'
import { spawnChild } from './proc.ts'
import type { Child } from './proc.ts'
import { lostPortRace, waitForDns } from './ready.ts'
import { makeTempDir, removeTempDir } from './tmp.ts'

export interface HostPort {
  readonly host: string
  readonly port: number
}

export type LocalZoneType = 'static' | 'transparent' | 'redirect' | 'refuse' | 'deny' |
  'always_nxdomain' | 'typetransparent'

export interface UnboundOptions {
  /** Listen address: '127.0.0.1' (default) or '::1'. */
  readonly host?: string
  /** local-zone entries; a plain name is a 'static' zone (NXDOMAIN/NODATA for what's missing). */
  readonly zones?: readonly (string | { readonly name: string; readonly type: LocalZoneType })[]
  /** local-data records in zone-file syntax, e.g. 'www.example.org. 300 IN A 127.0.0.2'. */
  readonly records?: readonly string[]
  /** Answer for names outside the zones in authoritative mode. Default 'refuse'. */
  readonly otherwise?: 'refuse' | 'static'
  /** Caching forwarder mode: forward-zone "." to these loopback upstreams (UDP). */
  readonly forwardTo?: HostPort | readonly HostPort[]
  /** Also serve DNS over TLS on tlsPort. Default true. */
  readonly tls?: boolean
  readonly threads?: number
  readonly verbosity?: number
  /** Extra lines for the server: clause, e.g. ['cache-max-ttl: 5']. */
  readonly extra?: readonly string[]
  /** Bound on the wait for the first answer. Default 5000. */
  readonly startTimeoutMs?: number
}

export interface Unbound {
  readonly host: string
  readonly port: number
  readonly tlsPort?: number
  /** Certificate of the TLS port; self-signed, so it is also the CA file for clients. */
  readonly certPath?: string
  readonly dir: string
  readonly configPath: string
  readonly child: Child
  /** unbound's log lines (it logs to stderr). */
  log(): string[]
  /** SIGTERM (SIGKILL after 3 s), then removes the temp dir. Safe to call twice. */
  stop(): Promise<void>
}

function quote(value: string): string {
  if (!value.includes('"')) return `"${value}"`
  if (!value.includes("'")) return `'${value}'` // TXT data: unbound takes single quotes around it
  throw new Error(`cannot quote for unbound.conf: ${value}`)
}

function isLoopback(host: string): boolean {
  return host === '::1' || /^127\./.test(host)
}

function config(o: UnboundOptions, dir: string, host: string, port: number,
  tls: { port: number; certPath: string; keyPath: string } | undefined): string {
  const forwards = o.forwardTo === undefined ? [] : 'host' in o.forwardTo ? [o.forwardTo]
    : o.forwardTo as readonly HostPort[]
  for (const f of forwards) {
    // tests talk to loopback only; a typo must not send queries to the internet
    if (!isLoopback(f.host)) throw new Error(`unbound forwardTo must be loopback, got ${f.host}`)
  }
  const v6 = host.includes(':') || forwards.some((f) => f.host.includes(':'))
  const s = [
    'server:',
    `  verbosity: ${o.verbosity ?? 1}`,
    `  num-threads: ${o.threads ?? 1}`,
    `  interface: ${host}@${port}`,
    `  port: ${port}`,
    '  interface-automatic: no',
    '  do-ip4: yes',
    `  do-ip6: ${v6 ? 'yes' : 'no'}`,
    '  do-udp: yes',
    '  do-tcp: yes',
    `  directory: ${quote(dir)}`,
    '  chroot: ""',
    '  username: ""',
    `  pidfile: ${quote(join(dir, 'unbound.pid'))}`,
    '  use-syslog: no',
    '  logfile: ""',
    '  log-time-ascii: yes',
    '  do-daemonize: no',
    '  access-control: 127.0.0.0/8 allow',
    '  access-control: ::1/128 allow',
    // no validator: nothing to fetch (trust anchors), no root priming
    '  module-config: "iterator"',
    '  prefetch: no',
    '  so-reuseport: no',
  ]
  if (tls) {
    s.push(`  interface: ${host}@${tls.port}`, `  tls-port: ${tls.port}`,
      `  tls-service-key: ${quote(tls.keyPath)}`, `  tls-service-pem: ${quote(tls.certPath)}`)
  }
  if (forwards.length > 0) {
    s.push('  do-not-query-localhost: no', `  outgoing-interface: ${v6 ? '::1' : '127.0.0.1'}`)
  } else {
    s.push(`  local-zone: "." ${o.otherwise ?? 'refuse'}`)
  }
  for (const z of o.zones ?? []) {
    const { name, type } = typeof z === 'string' ? { name: z, type: 'static' } : z
    s.push(`  local-zone: ${quote(name)} ${type}`)
  }
  for (const r of o.records ?? []) s.push(`  local-data: ${quote(r)}`)
  for (const e of o.extra ?? []) s.push(`  ${e}`)
  s.push('remote-control:', '  control-enable: no')
  if (forwards.length > 0) {
    s.push('forward-zone:', '  name: "."')
    for (const f of forwards) s.push(`  forward-addr: ${f.host}@${f.port}`)
  }
  return s.join('\n') + '\n'
}

const MAX_START_ATTEMPTS = 3

/** Starts unbound and resolves once it answers a query. Stop it in an after()/t.after(). */
export async function startUnbound(o: UnboundOptions = {}): Promise<Unbound> {
  const host = o.host ?? '127.0.0.1'
  const dir = makeTempDir('unbound')
  try {
    const cert = (o.tls ?? true) ? await generateCert(dir) : undefined
    for (let attempt = 1; ; attempt++) {
      const [port, tlsPort] = await freePorts(cert ? 2 : 1, 'both', host)
      if (port === undefined) throw new Error('no port')
      const tls = cert && tlsPort !== undefined ? { port: tlsPort, ...cert } : undefined
      const configPath = join(dir, 'unbound.conf')
      writeFileSync(configPath, config(o, dir, host, port, tls))
      const child = spawnChild('unbound', 'unbound', ['-d', '-c', configPath], { cwd: dir })
      try {
        await waitForDns(child, host, port, o.startTimeoutMs ?? 5000)
      } catch (err) {
        await child.stop('SIGKILL')
        if (attempt < MAX_START_ATTEMPTS && lostPortRace(child.tail(100))) continue
        throw err
      }
      let stopping: Promise<void> | undefined
      return {
        host, port, tlsPort: tls?.port, certPath: tls?.certPath, dir, configPath, child,
        log: () => child.stderr(),
        stop() {
          stopping ??= child.stop('SIGTERM', 3000).then(() => removeTempDir(dir))
          return stopping
        },
      }
    }
  } catch (err) {
    removeTempDir(dir)
    throw err
  }
}
