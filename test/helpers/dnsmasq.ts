// A real dnsmasq on a loopback port: local --address answers and forwarding to loopback
// upstreams given by the test. It runs with -d (no fork, no pid file, no user switch, TCP served
// in-process, so stopping the one process stops everything), reads no config file, no
// /etc/resolv.conf and no /etc/hosts, and logs to stderr.

import { freePort } from './ports.ts'
import { spawnChild } from './proc.ts'
import type { Child } from './proc.ts'
import { lostPortRace, waitForDns } from './ready.ts'

export interface DnsmasqServer {
  readonly host: string
  readonly port: number
  /** Only for names under this domain (--server=/domain/host#port). */
  readonly domain?: string
}

export interface DnsmasqOptions {
  /** Listen address: '127.0.0.1' (default) or '::1'. */
  readonly host?: string
  /** --address=/name/ip: name (and everything below it) answers ip. */
  readonly addresses?: readonly { readonly name: string; readonly ip: string }[]
  /** Upstreams (loopback only). */
  readonly servers?: readonly DnsmasqServer[]
  /** --cache-size; dnsmasq's default is 150, 0 disables caching. */
  readonly cacheSize?: number
  /** --all-servers: query every upstream in parallel, take the first answer. */
  readonly allServers?: boolean
  /** --log-queries (one line per query on stderr). Default false. */
  readonly logQueries?: boolean
  /** More dnsmasq options, e.g. ['--min-cache-ttl=60']. */
  readonly extra?: readonly string[]
  /** Bound on the wait for the first answer. Default 5000. */
  readonly startTimeoutMs?: number
}

export interface Dnsmasq {
  readonly host: string
  readonly port: number
  readonly args: readonly string[]
  readonly child: Child
  log(): string[]
  /** SIGTERM (SIGKILL after 3 s). Safe to call twice. */
  stop(): Promise<void>
}

const DNSMASQ = '/usr/sbin/dnsmasq'
const MAX_START_ATTEMPTS = 3

function isLoopback(host: string): boolean {
  return host === '::1' || /^127\./.test(host)
}

export function dnsmasqArgs(o: DnsmasqOptions, host: string, port: number): string[] {
  const args = ['-d', '--conf-file=/dev/null', '--log-facility=-', '--pid-file=',
    '--no-resolv', '--no-hosts', `--port=${port}`, `--listen-address=${host}`,
    '--bind-interfaces']
  if (o.cacheSize !== undefined) args.push(`--cache-size=${o.cacheSize}`)
  if (o.allServers) args.push('--all-servers')
  if (o.logQueries) args.push('--log-queries')
  for (const a of o.addresses ?? []) args.push(`--address=/${a.name.replace(/\.$/, '')}/${a.ip}`)
  for (const s of o.servers ?? []) {
    // tests talk to loopback only; a typo must not send queries to the internet
    if (!isLoopback(s.host)) throw new Error(`dnsmasq server must be loopback, got ${s.host}`)
    const domain = s.domain ? `/${s.domain.replace(/\.$/, '')}/` : ''
    args.push(`--server=${domain}${s.host}#${s.port}`)
  }
  args.push(...(o.extra ?? []))
  return args
}

/** Starts dnsmasq and resolves once it answers. Stop it in an after()/t.after(). */
export async function startDnsmasq(o: DnsmasqOptions = {}): Promise<Dnsmasq> {
  const host = o.host ?? '127.0.0.1'
  for (let attempt = 1; ; attempt++) {
    const port = await freePort('both', host)
    const args = dnsmasqArgs(o, host, port)
    const child = spawnChild('dnsmasq', DNSMASQ, args)
    try {
      await waitForDns(child, host, port, o.startTimeoutMs ?? 5000)
    } catch (err) {
      await child.stop('SIGKILL')
      if (attempt < MAX_START_ATTEMPTS && lostPortRace(child.tail(100))) continue
      throw err
    }
    return {
      host, port, args, child,
      log: () => child.stderr(),
      async stop() {
        await child.stop('SIGTERM', 3000)
      },
    }
  }
}
