// A parsed forward stanza, with CoreDNS's defaults (plugin/forward/forward.go New(),
// plugin/pkg/proxy).

import type { SecureContextOptions } from 'node:tls'
import type { Endpoint } from './transport.ts'

export type PolicyName = 'random' | 'round_robin' | 'sequential' | 'parallel'

export interface Upstream extends Endpoint {
  readonly tls: boolean
  /** SNI and certificate name for tls:// (tls_servername or the TO's %NAME). */
  readonly serverName: string | undefined
}

export interface ForwardConfig {
  /** Normalized FQDN the stanza forwards. */
  readonly from: string
  readonly except: readonly string[]
  readonly upstreams: readonly Upstream[]
  readonly forceTcp: boolean
  readonly preferUdp: boolean
  readonly expireMs: number
  readonly maxAgeMs: number
  readonly maxIdleConns: number
  readonly maxFails: number
  /** Failed tries per query before giving up; undefined: 2 per upstream; 0: until the deadline. */
  readonly maxConnectAttempts: number | undefined
  readonly readTimeoutMs: number
  /** Certificates for tls:// upstreams (CA, client cert and key); undefined: system CAs. */
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
  /** CoreDNS's cap on TOs per stanza. */
  maxUpstreams: 15,
} as const
