// THE chain order, after CoreDNS's plugin.cfg: first is outermost. The Corefile's order never
// matters. Names listed here but not implemented are CoreDNS plugins tsdns refuses clearly.

import type { AnyPluginDefinition } from '../src/plugin/plugin.ts'
import acl from './acl/setup.ts'
import any from './any/setup.ts'
import bind from './bind/setup.ts'
import bufsize from './bufsize/setup.ts'
import cancel from './cancel/setup.ts'
import cache from './cache/setup.ts'
import chaos from './chaos/setup.ts'
import debug from './debug/setup.ts'
import dns64 from './dns64/setup.ts'
import errors from './errors/setup.ts'
import file from './file/setup.ts'
import forward from './forward/setup.ts'
import header from './header/setup.ts'
import health from './health/setup.ts'
import hosts from './hosts/setup.ts'
import loadbalance from './loadbalance/setup.ts'
import log from './log/setup.ts'
import local from './local/setup.ts'
import loop from './loop/setup.ts'
import metadata from './metadata/setup.ts'
import minimal from './minimal/setup.ts'
import multisocket from './multisocket/setup.ts'
import nsid from './nsid/setup.ts'
import prometheus from './prometheus/setup.ts'
import ready from './ready/setup.ts'
import reload from './reload/setup.ts'
import rewrite from './rewrite/setup.ts'
import status from './status/setup.ts'
import template from './template/setup.ts'
import timeouts from './timeouts/setup.ts'
import tls from './tls/setup.ts'
import view from './view/setup.ts'
import whoami from './whoami/setup.ts'

const order = [
  'root', 'metadata', 'geoip', 'cancel', 'proxyproto', 'quic', 'grpc_server', 'https', 'https3',
  'status', 'timeouts', 'multisocket', 'reload', 'nsid', 'bufsize', 'bind', 'debug', 'trace', 'ready',
  'health', 'pprof', 'shed', 'prometheus', 'errors', 'log', 'dnstap', 'local', 'dns64', 'any',
  'chaos', 'loadbalance', 'tsig', 'rewrite', 'autopath', 'acl', 'cache', 'header', 'dnssec', 'tls',
  'minimal', 'template', 'transfer', 'hosts', 'route53', 'azure', 'clouddns', 'k8s_external',
  'kubernetes', 'file', 'auto', 'secondary', 'etcd', 'loop', 'forward', 'grpc', 'erratic',
  'whoami', 'on', 'sign', 'view', 'nomad',
] as const

export type DirectiveName = (typeof order)[number]

const definitions: readonly AnyPluginDefinition[] = [
  acl, any, bind, cache, debug, errors, forward, health, hosts, loadbalance, log, loop, prometheus,
  ready, reload, template, whoami,
  bufsize, chaos, dns64, nsid, rewrite, timeouts, status,
  tls, multisocket, view,
  local, minimal, header, cancel, metadata,
  file,
]

export const plugins: ReadonlyMap<string, AnyPluginDefinition> = new Map(
  definitions.map((d) => [d.name, d]),
)

const hints: Partial<Record<DirectiveName, string>> = {
  kubernetes: 'it serves node-local caching; keep cluster.local on CoreDNS and forward to it',
  etcd: 'it serves node-local caching; keep etcd-backed zones on CoreDNS and forward to them',
  auto: 'it serves node-local caching; serve zone files from CoreDNS and forward to it',
  secondary: 'it serves node-local caching; serve zone transfers from CoreDNS and forward to it',
  k8s_external: 'it serves node-local caching; keep external names on CoreDNS and forward to it',
  autopath: 'it needs the kubernetes plugin; leave search-path completion to CoreDNS',
  grpc: 'forward to a DNS or DNS-over-TLS upstream instead',
}

/** Why a known CoreDNS directive is refused, for the located error. */
export function unsupportedReason(name: string): string {
  const hint = hints[name as DirectiveName]
  return hint ? `not supported by tsdns (${hint})` : 'not supported by tsdns'
}

export function isCoreDnsDirective(name: string): boolean {
  return (order as readonly string[]).includes(name)
}

export function rank(name: string): number {
  return (order as readonly string[]).indexOf(name)
}
