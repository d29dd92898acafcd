// The kube-dns ConfigMap as node-cache reads it from its mounted directory: `stubDomains` (JSON
// object, domain → nameservers) and `upstreamNameservers` (JSON array, at most three), checked as
// kubernetes/dns pkg/dns/config does, nameservers limited to what *forward* takes (IP[:port]).
// `federations` is kube-dns's own and ignored.

import { isIP } from 'node:net'
import { splitHostPort } from '../server/http.ts'

export interface KubeDnsConfig {
  /** Sorted by domain, so the generated Corefile does not change from one read to the next. */
  readonly stubDomains: ReadonlyMap<string, readonly string[]>
  readonly upstreamNameservers: readonly string[]
}

export const EMPTY_KUBE_DNS: KubeDnsConfig = { stubDomains: new Map(), upstreamNameservers: [] }

/** What a DNS-1123 subdomain is (k8s validation.IsDNS1123Subdomain). */
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`)

/** IP or IP:port ([IPv6]:port), as *forward* takes them. */
function checkNameservers(list: readonly string[]): void {
  for (const ns of list) {
    const hp = isIP(ns) !== 0 ? undefined : splitHostPort(ns)
    if (hp !== undefined && (typeof hp === 'string' || isIP(hp.host) === 0)) {
      throw new Error(`invalid nameserver: "${ns}"`)
    }
  }
}

function json(file: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new Error(`invalid JSON in ${file}: ${(err as Error).message}`)
  }
}

function stringList(file: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw new Error(`${file}: expecting a JSON list of strings`)
  }
  return v as string[]
}

/** The ConfigMap's files by name; throws on anything node-cache would reject. */
export function parseKubeDnsConfig(data: ReadonlyMap<string, string>): KubeDnsConfig {
  const stubDomains = new Map<string, string[]>()
  const stubText = data.get('stubDomains')
  if (stubText !== undefined && stubText.trim() !== '') {
    const v = json('stubDomains', stubText)
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new Error('stubDomains: expecting a JSON object of domain: [nameservers]')
    }
    for (const domain of Object.keys(v).sort()) {
      if (domain.length > 253 || !DNS1123_SUBDOMAIN.test(domain)) {
        throw new Error(`invalid domain name: "${domain}"`)
      }
      const servers = stringList(`stubDomains["${domain}"]`, (v as Record<string, unknown>)[domain])
      checkNameservers(servers)
      stubDomains.set(domain, servers)
    }
  }
  let upstreamNameservers: string[] = []
  const upText = data.get('upstreamNameservers')
  if (upText !== undefined && upText.trim() !== '') {
    upstreamNameservers = stringList('upstreamNameservers', json('upstreamNameservers', upText))
    if (upstreamNameservers.length > 3) {
      throw new Error('upstreamNameserver cannot have more than three entries')
    }
    checkNameservers(upstreamNameservers)
  }
  return { stubDomains, upstreamNameservers }
}
