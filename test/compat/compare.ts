// What `npm run compat` compares: two DNS replies (rcode, flags, RRsets with TTLs) and two
// metrics scrapes (families and label names). Each difference is one line of text.

import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet'

/** A TTL may differ by this much (seconds): the two servers answer moments apart. */
const TTL_SLACK = 3

const FLAGS: readonly [string, number][] = [
  ['aa', 1 << 10],
  ['tc', 1 << 9],
  ['rd', 1 << 8],
  ['ra', 1 << 7],
  ['ad', 1 << 5],
  ['cd', 1 << 4],
]

export function compareReplies(coredns: Buffer | undefined, tsdns: Buffer | undefined): string[] {
  if (!coredns || !tsdns) {
    if (coredns === tsdns) return []
    return [`${coredns ? 'tsdns' : 'CoreDNS'} did not answer`]
  }
  const [a, b] = [dnsPacket.decode(coredns), dnsPacket.decode(tsdns)]
  const out: string[] = []
  const [ra, rb] = [rcode(a), rcode(b)]
  if (ra !== rb) out.push(`rcode ${ra} vs ${rb}`)
  const [fa, fb] = [flags(a), flags(b)]
  if (fa !== fb) out.push(`flags [${fa}] vs [${fb}]`)
  for (const section of ['answers', 'authorities', 'additionals'] as const) {
    out.push(...compareSection(section, a[section] ?? [], b[section] ?? []))
  }
  const [ea, eb] = [opt(a), opt(b)]
  if (ea !== eb) out.push(`OPT ${ea} vs ${eb}`)
  return out
}

function rcode(m: DecodedPacket): string {
  const low = (m.flags ?? 0) & 0x0f
  const o = m.additionals?.find((r) => r.type === 'OPT') as { extendedRcode?: number } | undefined
  return String(((o?.extendedRcode ?? 0) << 4) | low)
}

function flags(m: DecodedPacket): string {
  return FLAGS.filter(([, bit]) => ((m.flags ?? 0) & bit) !== 0).map(([n]) => n).join(' ')
}

function opt(m: DecodedPacket): string {
  const o = m.additionals?.find((r) => r.type === 'OPT') as { udpPayloadSize?: number } | undefined
  return o ? `udp=${o.udpPayloadSize}` : 'none'
}

interface RRset {
  readonly data: string
  readonly ttl: number
}

function rrsets(rrs: readonly Answer[]): Map<string, RRset> {
  const sets = new Map<string, { data: string[]; ttl: number }>()
  for (const rr of rrs) {
    if (rr.type === 'OPT') continue
    const key = `${rr.name.toLowerCase()} ${rr.class ?? 'IN'} ${rr.type}`
    const set = sets.get(key) ?? { data: [], ttl: Infinity }
    set.data.push(rdata(rr))
    set.ttl = Math.min(set.ttl, (rr as { ttl?: number }).ttl ?? 0)
    sets.set(key, set)
  }
  return new Map([...sets].map(([k, s]) => [k, { data: s.data.sort().join(' | '), ttl: s.ttl }]))
}

/** whoami's SRV carries the client's source port, which differs between the two queries. */
function rdata(rr: Answer): string {
  const data = (rr as { data?: unknown }).data
  if (rr.type === 'SRV' && rr.name.startsWith('_')) return JSON.stringify({ ...(data as object), port: 0 })
  return JSON.stringify(data, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v))
}

function compareSection(section: string, a: readonly Answer[], b: readonly Answer[]): string[] {
  const [sa, sb] = [rrsets(a), rrsets(b)]
  const out: string[] = []
  for (const [key, set] of sa) {
    const other = sb.get(key)
    if (!other) out.push(`${section}: ${key} only in CoreDNS (${set.data})`)
    else if (other.data !== set.data) out.push(`${section}: ${key} ${set.data} vs ${other.data}`)
    else if (Math.abs(other.ttl - set.ttl) > TTL_SLACK) out.push(`${section}: ${key} TTL ${set.ttl} vs ${other.ttl}`)
  }
  for (const [key, set] of sb) if (!sa.has(key)) out.push(`${section}: ${key} only in tsdns (${set.data})`)
  return out
}

/**
 * Family -> label names, of the coredns_ families with a sample in a Prometheus text exposition
 * (CoreDNS writes a labelled family only once it has a child; a declared one proves nothing).
 */
export function families(text: string): Map<string, Set<string>> {
  const declared = new Set<string>()
  const out = new Map<string, Set<string>>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (coredns_\w+) /.exec(line)
    if (type) declared.add(type[1]!)
    const sample = /^(coredns_\w+?)(_bucket|_sum|_count)?(?:\{([^}]*)\})? /.exec(line)
    if (!sample) continue
    const name = declared.has(sample[1]!) ? sample[1]! : sample[1]! + (sample[2] ?? '')
    const labels = out.get(name) ?? new Set()
    for (const m of (sample[3] ?? '').matchAll(/(\w+)="/g)) if (m[1] !== 'le') labels.add(m[1]!)
    out.set(name, labels)
  }
  return out
}

export function compareMetrics(coredns: string, tsdns: string): string[] {
  const [a, b] = [families(coredns), families(tsdns)]
  const out: string[] = []
  for (const [name, labels] of a) {
    const other = b.get(name)
    if (!other) out.push(`metric ${name} only in CoreDNS`)
    else {
      const [la, lb] = [[...labels].sort().join(','), [...other].sort().join(',')]
      if (la !== lb) out.push(`metric ${name} labels {${la}} vs {${lb}}`)
    }
  }
  for (const name of b.keys()) if (!a.has(name)) out.push(`metric ${name} only in tsdns`)
  return out
}
