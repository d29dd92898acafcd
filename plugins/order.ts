// THE chain order, after CoreDNS's plugin.cfg: first is outermost. The Corefile's order never
// matters. Names listed here but not implemented are CoreDNS plugins tsdns refuses clearly.
//
// Each implemented plugin is one line of `plugins`: its name and the require of its setup.ts. A
// setup is evaluated when a Corefile first names the plugin (`definition`), so a start runs the
// module code of the plugins it uses only. The bundle (src/cli/bundle.ts) hands these requires to
// esbuild, which keeps each setup in the main file, wrapped to run on its first require: no file
// of its own to read (a chunk per plugin, tried, added some 60 files and ~80 ms to a start).
// Unbundled, Node requires the ES module synchronously. The metric families of every plugin are
// registered at start all the same (./metrics.ts).

import { createRequire } from 'node:module'
import type { AnyPluginDefinition } from '../src/plugin/plugin.ts'
import './metrics.ts'

const require = createRequire(import.meta.url)

type Setup = () => { default: AnyPluginDefinition }

/** Every plugin tsdns implements, by directive name; `.keys()` lists them all. */
export const plugins: ReadonlyMap<string, Setup> = new Map(Object.entries({
  acl: () => require('./acl/setup.ts'),
  any: () => require('./any/setup.ts'),
  bind: () => require('./bind/setup.ts'),
  bufsize: () => require('./bufsize/setup.ts'),
  cache: () => require('./cache/setup.ts'),
  cancel: () => require('./cancel/setup.ts'),
  chaos: () => require('./chaos/setup.ts'),
  debug: () => require('./debug/setup.ts'),
  dns64: () => require('./dns64/setup.ts'),
  errors: () => require('./errors/setup.ts'),
  file: () => require('./file/setup.ts'),
  forward: () => require('./forward/setup.ts'),
  header: () => require('./header/setup.ts'),
  health: () => require('./health/setup.ts'),
  hosts: () => require('./hosts/setup.ts'),
  loadbalance: () => require('./loadbalance/setup.ts'),
  local: () => require('./local/setup.ts'),
  log: () => require('./log/setup.ts'),
  loop: () => require('./loop/setup.ts'),
  metadata: () => require('./metadata/setup.ts'),
  minimal: () => require('./minimal/setup.ts'),
  multisocket: () => require('./multisocket/setup.ts'),
  nsid: () => require('./nsid/setup.ts'),
  prometheus: () => require('./prometheus/setup.ts'),
  ready: () => require('./ready/setup.ts'),
  reload: () => require('./reload/setup.ts'),
  rewrite: () => require('./rewrite/setup.ts'),
  status: () => require('./status/setup.ts'),
  template: () => require('./template/setup.ts'),
  timeouts: () => require('./timeouts/setup.ts'),
  tls: () => require('./tls/setup.ts'),
  view: () => require('./view/setup.ts'),
  whoami: () => require('./whoami/setup.ts'),
} satisfies Record<string, Setup>))

const loaded = new Map<string, AnyPluginDefinition>()

/** The definition of an implemented plugin (`plugins.has(name)`), its setup evaluated on first use. */
export function definition(name: string): AnyPluginDefinition {
  let def = loaded.get(name)
  if (def === undefined) {
    def = plugins.get(name)!().default
    if (def.name !== name) throw new Error(`plugins/order.ts: '${name}' loads the plugin '${def.name}'`)
    loaded.set(name, def)
  }
  return def
}

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
