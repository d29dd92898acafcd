// A parsed forward stanza, with CoreDNS's defaults (plugin/forward/forward.go New(),
// plugin/pkg/proxy).

import type { SecureContextOptions } from 'node:tls'
import type { Endpoint } from './transport.ts'

export type PolicyName = 'random' | 'round_robin' | 'sequential' | 'parallel'

/** dns (UDP/TCP), tls (DNS over TLS, RFC 7858) or https (DNS over HTTPS, RFC 8484). */
export type Transport = 'dns' | 'tls' | 'https'

export interface Upstream extends Endpoint {
  readonly transport: Transport
  /** SNI and certificate name for tls:// and https:// (tls_servername or the TO's %NAME). */
  readonly serverName: string | undefined
}

/** A TO given by name, resolved to addresses when the configuration is loaded (resolve.ts). */
export interface HostTo {
  readonly hostname: string
  readonly port: number
  readonly transport: Transport
  readonly serverName: string | undefined
}

export type To = Upstream | HostTo

export interface ForwardConfig {
  /** Normalized FQDN the stanza forwards. */
  readonly from: string
  readonly except: readonly string[]
  /** The TOs in order: addresses, and hostnames still to resolve. */
  readonly to: readonly To[]
  /** resolver: the servers hostname TOs are resolved through; empty: the system's resolver. */
  readonly resolvers: readonly Endpoint[]
  /** source_address: the local IP of every socket to the upstreams (and of health checks). */
  readonly sourceAddress: string | undefined
  readonly dohMethod: 'GET' | 'POST'
  readonly forceTcp: boolean
  readonly preferUdp: boolean
  readonly expireMs: number
  readonly maxAgeMs: number
  readonly maxIdleConns: number
  readonly maxFails: number
  /** Failed tries per query before giving up; undefined: 2 per upstream; 0: until the deadline. */
  readonly maxConnectAttempts: number | undefined
  readonly readTimeoutMs: number
  /** Certificates for tls:// and https:// upstreams (CA, client cert, key); undefined: system's. */
  readonly tls: SecureContextOptions | undefined
  /** tls_servername: SNI and certificate name for every tls:// upstream without its own. */
  readonly tlsServerName: string | undefined
  readonly policy: PolicyName
  readonly healthCheckMs: number
  readonly healthCheckRecursion: boolean
  readonly healthCheckDomain: string
  /** 0: no limit. */
  readonly maxConcurrent: number
  /** Upstream rcodes handed to the next forward stanza. */
  readonly next: readonly number[]
  readonly nextOnNodata: boolean
  /** Upstream rcodes after which the next upstream is tried. */
  readonly failover: readonly number[]
  readonly failfastAllUnhealthy: boolean
}

export const DEFAULTS = {
  expireMs: 10_000,
  maxFails: 2,
  readTimeoutMs: 2000,
  healthCheckMs: 500,
  /** Whole-query deadline (CoreDNS defaultTimeout). */
  deadlineMs: 5000,
  /** Health check read timeout (CoreDNS dnsHc). */
  healthTimeoutMs: 1000,
} as const
