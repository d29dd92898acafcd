// The Corefile node-cache generates (kubernetes/dns cmd/node-cache/app/configmap.go): plain text
// replacement of the __PILLAR__ variables left in the template, then one server block appended
// per kube-dns stubDomain.

import { isIP } from 'node:net'
import type { KubeDnsConfig } from './kubedns.ts'

const UPSTREAM_SERVERS = '__PILLAR__UPSTREAM__SERVERS__'
const CLUSTER_DNS = '__PILLAR__CLUSTER__DNS__'
const LOCAL_DNS = '__PILLAR__LOCAL__DNS__'
const DNS_SERVER = '__PILLAR__DNS__SERVER__'
/** The sigs.k8s.io node-cache's template writes `prometheus __PILLAR__PROMETHEUS__ENDPOINT__`. */
const PROMETHEUS_ENDPOINT = '__PILLAR__PROMETHEUS__ENDPOINT__'

/** The template's upstream over TCP; custom upstreams get it rewritten to UDP. */
const UPSTREAM_TCP_BLOCK = `
    forward . ${UPSTREAM_SERVERS} {
            force_tcp
    }
`
const upstreamUdpBlock = (servers: string) => `
    forward . ${servers}
`
/** node-cache's cache TTL for stubDomain blocks. */
const STUB_CACHE_TTL = 30

export interface PillarValues {
  readonly localIPs: readonly string[]
  readonly localPort: number
  /** The upstream Service's ClusterIP; undefined leaves __PILLAR__CLUSTER__DNS__ in place. */
  readonly clusterDns: string | undefined
  readonly kubeDns: KubeDnsConfig
  /** -prometheus-listen-address (default :9253). */
  readonly prometheusEndpoint?: string
}

export interface Rendered {
  readonly text: string
  /** What replaced __PILLAR__UPSTREAM__SERVERS__ (for the log line). */
  readonly upstreamServers: string
  readonly warnings: readonly string[]
}

/**
 * The env variable Kubernetes sets to a Service's ClusterIP (`kube-dns-upstream` →
 * `KUBE_DNS_UPSTREAM_SERVICE_HOST`) and its value when it is an IP.
 */
export function clusterDnsFromEnv(svc: string,
  env: NodeJS.ProcessEnv): { name: string; ip: string | undefined } {
  const name = `${svc.replaceAll('-', '_').toUpperCase()}_SERVICE_HOST`
  const v = env[name] ?? ''
  return { name, ip: isIP(v) !== 0 ? v : undefined }
}

function stubDomainBlock(domain: string, port: number, localIPs: string,
  servers: readonly string[]): string {
  return `
${domain}:${port} {
    errors
    cache ${STUB_CACHE_TTL}
    bind ${localIPs}
    forward . ${servers.join(' ')}
}
`
}

export function renderCorefile(base: string, v: PillarValues): Rendered {
  const warnings: string[] = []
  const localIPs = v.localIPs.join(' ')
  let text = base
  let upstreamServers = v.kubeDns.upstreamNameservers.join(' ')
  if (upstreamServers === '') {
    // forward reads the node's resolv.conf; the template's force_tcp stays
    upstreamServers = '/etc/resolv.conf'
    text = text.replaceAll(UPSTREAM_SERVERS, upstreamServers)
  } else {
    // custom upstreams are asked over UDP
    text = text.replaceAll(UPSTREAM_TCP_BLOCK, upstreamUdpBlock(upstreamServers))
    if (text.includes(UPSTREAM_SERVERS)) {
      warnings.push(
        'Did not find TCP upstream block to replace, assuming upstreams already use UDP.')
      text = text.replaceAll(UPSTREAM_SERVERS, upstreamServers)
    }
  }
  if (v.clusterDns !== undefined) text = text.replaceAll(CLUSTER_DNS, v.clusterDns)
  text = text.replaceAll(LOCAL_DNS, localIPs)
  // every listen IP came through __PILLAR__LOCAL__DNS__: a leftover kube-dns IP goes
  text = text.replaceAll(DNS_SERVER, '')
  text = text.replaceAll(PROMETHEUS_ENDPOINT, v.prometheusEndpoint ?? ':9253')
  for (const [domain, servers] of v.kubeDns.stubDomains) {
    text += stubDomainBlock(domain, v.localPort, localIPs, servers)
  }
  return { text, upstreamServers, warnings }
}
