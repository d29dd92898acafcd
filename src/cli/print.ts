// dig-like presentation of a reply, for `tsdns query`.

import type { Answer, DecodedPacket } from 'dns-packet'
import { rcodeName } from '../plugin/rcode.ts'

const fqdn = (n: string) => (n === '.' || n === '' ? '.' : n.endsWith('.') ? n : n + '.')

function rdata(a: Answer): string {
  const d = (a as { data?: unknown }).data
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return String(d)
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return fqdn(String(d))
    case 'MX': {
      const m = d as { preference: number; exchange: string }
      return `${m.preference} ${fqdn(m.exchange)}`
    }
    case 'SRV': {
      const s = d as { priority: number; weight: number; port: number; target: string }
      return `${s.priority} ${s.weight} ${s.port} ${fqdn(s.target)}`
    }
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`
    }
    case 'TXT': {
      const parts = Array.isArray(d) ? d : [d]
      return parts.map((p) => JSON.stringify(String(p))).join(' ')
    }
    case 'HINFO': {
      const h = d as { cpu: string; os: string }
      return `${JSON.stringify(h.cpu)} ${JSON.stringify(h.os)}`
    }
    default:
      return Buffer.isBuffer(d) ? `\\# ${d.length} ${d.toString('hex')}` : JSON.stringify(d)
  }
}

function rr(a: Answer): string {
  const ttl = (a as { ttl?: number }).ttl ?? 0
  const klass = (a as { class?: string }).class ?? 'IN'
  return `${fqdn(a.name)}\t${ttl}\t${klass}\t${a.type}\t${rdata(a)}`
}

export function printReply(m: DecodedPacket, by: string): string {
  const flags = (m.flags ?? 0) & 0xffff
  const names = [
    ['qr', 0x8000],
    ['aa', 0x0400],
    ['tc', 0x0200],
    ['rd', 0x0100],
    ['ra', 0x0080],
    ['ad', 0x0020],
    ['cd', 0x0010],
  ] as const
  const set = names.filter(([, bit]) => (flags | 0x8000) & bit).map(([n]) => n)
  const out = [
    `;; ->>HEADER<<- opcode: QUERY, status: ${rcodeName(flags & 0xf)}, id: ${m.id ?? 0}`,
    `;; flags: ${set.join(' ')}`,
    `;; answered by: ${by || '(server)'}`,
    '',
    ';; QUESTION SECTION:',
    ...(m.questions ?? []).map((q) => `;${fqdn(q.name)}\t\t${q.class ?? 'IN'}\t${q.type}`),
  ]
  const sections: Array<[string, readonly Answer[] | undefined]> = [
    ['ANSWER', m.answers],
    ['AUTHORITY', m.authorities],
    ['ADDITIONAL', m.additionals?.filter((a) => a.type !== 'OPT')],
  ]
  for (const [title, list] of sections) {
    if (!list || list.length === 0) continue
    out.push('', `;; ${title} SECTION:`, ...list.map(rr))
  }
  return out.join('\n') + '\n'
}
