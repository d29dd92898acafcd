// Records written as zone-file text, the way CoreDNS tests write test.A("example.org. 3600 IN A
// 127.0.0.1"), turned into dns-packet answers for the fake upstream. Covers the types tests use;
// anything else is an error rather than a silently wrong record.

import type { Answer, RecordClass } from 'dns-packet'

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS', 'ANY'])

// "a" "b c" → ['a', 'b c'] (TXT character-strings); an unquoted word is one string
function txtStrings(s: string): string[] {
  const out: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? ''))
  }
  return out
}

/** Parses "name [ttl] [class] type rdata" (ttl default 3600, class IN). */
export function rr(text: string): Answer {
  // words with their offsets, so TXT data can be taken verbatim from the text
  const words = [...text.matchAll(/\S+/g)].map((m) => ({ w: m[0], at: m.index }))
  let i = 0
  const name = words[i++]?.w
  if (name === undefined) throw new Error(`rr: empty record '${text}'`)
  let ttl = 3600
  let cls: RecordClass = 'IN'
  for (let k = 0; k < 2; k++) {
    const w = words[i]?.w ?? ''
    if (/^\d+$/.test(w)) {
      ttl = Number(w)
      i++
    } else if (CLASSES.has(w.toUpperCase())) {
      cls = w.toUpperCase() as RecordClass
      i++
    }
  }
  const typeWord = words[i++]
  const type = (typeWord?.w ?? '').toUpperCase()
  const rest = words.slice(i).map((x) => x.w)
  const base = { name: name.replace(/\.$/, '') || '.', ttl, class: cls }
  const want = (n: number): string[] => {
    if (rest.length < n) throw new Error(`rr: ${type} needs ${n} fields in '${text}'`)
    return rest
  }
  switch (type) {
    case 'A': case 'AAAA': case 'CNAME': case 'NS': case 'PTR': case 'DNAME':
      return { ...base, type, data: want(1)[0]!.replace(/(.)\.$/, '$1') }
    case 'TXT':
      want(1)
      return { ...base, type, data: txtStrings(text.slice(words[i]!.at)) }
    case 'MX': {
      const [pref, exchange] = want(2)
      return { ...base, type, data: { preference: Number(pref), exchange: exchange! } }
    }
    case 'SRV': {
      const [priority, weight, port, target] = want(4)
      return { ...base, type, data: { priority: Number(priority), weight: Number(weight),
        port: Number(port), target: target! } }
    }
    case 'SOA': {
      const [mname, rname, serial, refresh, retry, expire, minimum] = want(7)
      return { ...base, type, data: { mname: mname!, rname: rname!, serial: Number(serial),
        refresh: Number(refresh), retry: Number(retry), expire: Number(expire),
        minimum: Number(minimum) } }
    }
    default:
      throw new Error(`rr: unsupported type '${type}' in '${text}'`)
  }
}
