// The queries whose answers were recorded from CoreDNS 1.14.7 (record.ts) and which the
// compat test asks tsdns, and one text form of a reply for both to be compared in.

import dnsPacket from 'dns-packet'

export const QUERIES: readonly (readonly [name: string, type: string])[] = [
  ['example.org', 'SOA'],
  ['example.org', 'NS'],
  ['example.org', 'MX'],
  ['example.org', 'TXT'],
  ['example.org', 'A'],
  ['example.org', 'AAAA'],
  ['example.org', 'ANY'],
  ['example.org', 'SRV'],
  ['EXAMPLE.org', 'A'],
  ['ns1.example.org', 'A'],
  ['ns1.example.org', 'AAAA'],
  ['mail.example.org', 'A'],
  ['www.example.org', 'A'],
  ['www.example.org', 'CNAME'],
  ['www.example.org', 'AAAA'],
  ['Www.Example.Org', 'A'],
  ['ext.example.org', 'A'],
  ['loop1.example.org', 'A'],
  ['dangling.example.org', 'A'],
  ['x.wild.example.org', 'A'],
  ['x.wild.example.org', 'TXT'],
  ['x.wild.example.org', 'AAAA'],
  ['y.x.wild.example.org', 'A'],
  ['exact.wild.example.org', 'A'],
  ['exact.wild.example.org', 'TXT'],
  ['wild.example.org', 'A'],
  ['ent.example.org', 'A'],
  ['b.ent.example.org', 'A'],
  ['a.b.ent.example.org', 'A'],
  ['nx.example.org', 'A'],
  ['nx.nx.example.org', 'A'],
  ['_sip._tcp.example.org', 'SRV'],
  ['_tcp.example.org', 'SRV'],
  ['sub.example.org', 'NS'],
  ['sub.example.org', 'A'],
  ['sub.example.org', 'DS'],
  ['deep.sub.example.org', 'A'],
  ['ns.sub.example.org', 'A'],
  ['caa.example.org', 'CAA'],
  ['txt.example.org', 'TXT'],
  ['big.example.org', 'TXT'],
  ['dn.example.org', 'DNAME'],
  ['dn.example.org', 'A'],
  ['x.dn.example.org', 'A'],
  ['www.dn.example.org', 'A'],
  ['www.dn.example.org', 'CNAME'],
  ['ptr.example.org', 'PTR'],
  ['unknown.example.org', 'UNKNOWN_65280'],
  ['case.example.org', 'A'],
  ['alias.example.net', 'A'],
  ['www.example.net', 'A'],
  ['example.net', 'NS'],
  ['example.org', 'AXFR'],
  ['other.test', 'A'],
]

/** One line per record, `name ttl class type data` with data as JSON (buffers as hex). */
function rrText(a: dnsPacket.Answer): string {
  const data = JSON.stringify((a as { data?: unknown }).data, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('hex')
      : v,
  )
  return `${a.name} ${'ttl' in a ? a.ttl : ''} ${'class' in a ? a.class : ''} ${a.type} ${data}`
}

export interface Summary {
  readonly rcode: string
  readonly aa: boolean
  readonly tc: boolean
  readonly answer: readonly string[]
  readonly authority: readonly string[]
  readonly additional: readonly string[]
}

/** A reply as compared: rcode, AA, TC and the records of each section (OPT left out). */
export function summarize(reply: Uint8Array | undefined): Summary | 'timeout' {
  if (reply === undefined) return 'timeout'
  const m = dnsPacket.decode(Buffer.from(reply))
  return {
    rcode: (m as { rcode?: string }).rcode ?? 'NOERROR',
    aa: ((m.flags ?? 0) & 0x400) !== 0,
    tc: ((m.flags ?? 0) & 0x200) !== 0,
    answer: (m.answers ?? []).map(rrText),
    authority: (m.authorities ?? []).map(rrText),
    additional: (m.additionals ?? []).filter((a) => a.type !== 'OPT').map(rrText),
  }
}
