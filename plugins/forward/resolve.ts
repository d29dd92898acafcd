// Hostname TOs resolved once, by Forward.prepare before the configuration serves (CoreDNS
// forward/resolve.go does it at setup): through the `resolver` servers in order (A, then AAAA,
// over UDP, 2 s each; the first server that gives addresses wins), or through the system's
// resolver (getaddrinfo: /etc/hosts, then /etc/resolv.conf) without one. The addresses join the
// others in config order, deduplicated.

import { lookup } from 'node:dns/promises'
import dnsPacket from 'dns-packet'
import type { Endpoint } from './transport.ts'
import type { To, Upstream } from './config.ts'
import { UdpConn } from './udp.ts'
import { upstream } from './upstreams.ts'

/** CoreDNS dnsLookup's read timeout per query. */
const QUERY_TIMEOUT_MS = 2000

/** Every TO as upstreams: hostnames resolved (or a rejection naming the one that failed). */
export async function resolveTos(
  tos: readonly To[],
  resolvers: readonly Endpoint[],
): Promise<Upstream[]> {
  const out = new Map<string, Upstream>()
  for (const t of tos) {
    if (!('hostname' in t)) {
      if (!out.has(t.to)) out.set(t.to, t)
      continue
    }
    let ips: string[]
    try {
      ips = resolvers.length === 0
        ? await systemLookup(t.hostname)
        : await dnsLookup(t.hostname, resolvers)
    } catch (err) {
      const why = (err as Error).message
      throw new Error(`failed to resolve "${t.hostname}": ${why}`, { cause: err })
    }
    for (const ip of ips) {
      const u = upstream(ip, t.port, t.transport, t.serverName)
      if (!out.has(u.to)) out.set(u.to, u)
    }
  }
  return [...out.values()]
}

async function systemLookup(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true })
  return found.map((a) => a.address)
}

async function dnsLookup(hostname: string, resolvers: readonly Endpoint[]): Promise<string[]> {
  let lastErr: Error | undefined
  for (const server of resolvers) {
    const ips: string[] = []
    try {
      ips.push(...(await query(server, hostname, 'A')))
    } catch (err) {
      lastErr = err as Error
      continue
    }
    try {
      ips.push(...(await query(server, hostname, 'AAAA')))
    } catch (err) {
      if (ips.length > 0) return ips // A records are enough
      lastErr = err as Error
      continue
    }
    if (ips.length > 0) return ips
  }
  const why = lastErr === undefined ? '' : `: ${lastErr.message}`
  throw new Error(`no addresses found for "${hostname}"${why}`)
}

/** One RD query over a connected UDP socket; the addresses of `type` in the answer. */
function query(server: Endpoint, hostname: string, type: 'A' | 'AAAA'): Promise<string[]> {
  const wire = dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: hostname.replace(/\.$/, ''), type, class: 'IN' }],
  })
  const { promise, resolve, reject } = Promise.withResolvers<string[]>()
  const conn = new UdpConn(server, undefined)
  conn.send({
    query: wire,
    questionEnd: wire.length,
    onReply: (reply) => {
      conn.close()
      try {
        const answers = dnsPacket.decode(Buffer.from(reply)).answers ?? []
        resolve(answers.flatMap((a) => (a.type === type ? [a.data as string] : [])))
      } catch (err) {
        reject(err as Error)
      }
    },
    onError: (err) => {
      conn.close()
      reject(err)
    },
  }, QUERY_TIMEOUT_MS)
  return promise
}
