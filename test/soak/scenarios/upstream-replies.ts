// A hostile upstream (issue 14 item 8): it answers names under hostile.test with replies broken
// in one way each (lib/bad-replies.ts). tsdns must answer what CoreDNS 1.14.7 answers: SERVFAIL
// for a reply that does not unpack (TC over UDP when the bytes run out mid-record), and for one
// CoreDNS repairs on unpack (extra or misplaced OPTs, trailing bytes, wrong counts) the repaired
// answer, with no OPT for a client that sent none, fresh or replayed from the cache. Then a
// flood of such names runs beside the bystander, whose names the same upstream answers well.

import { buildQuery, decode, fakeUpstream, freePort, IMAGE_HEAP_FLAGS, startTsdns, tcpQuery,
  udpQuery } from '../../helpers/index.ts'
import type { FakeUpstream, Tsdns } from '../../helpers/index.ts'
import { underAttack } from '../lib/attack.ts'
import { type Build, INVALID, REPAIRED, valid } from '../lib/bad-replies.ts'
import { metric } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'

const ZONE = 'hostile.test'
const KINDS: ReadonlyArray<readonly [string, Build, boolean]> = [
  ...Object.entries(INVALID).map(([k, b]) => [k, b, false] as const),
  ...Object.entries(REPAIRED).map(([k, b]) => [k, b, true] as const),
]
const slug = (s: string): string => s.replace(/[^a-z0-9]+/gi, '-').toLowerCase()
const bySlug = new Map(KINDS.map(([k, b]) => [slug(k), b]))

/** `<kind>.hostile.test` (or `<kind>.<n>.hostile.test`) gets that kind; anything else is valid. */
function hostile(q: { name: string; bytes: Buffer }): Uint8Array {
  const b = q.name.toLowerCase().endsWith(ZONE) ? bySlug.get(q.name.split('.')[0]!) : undefined
  return (b ?? valid)(q.bytes)
}

const corefile = (port: number, mport: number, up: FakeUpstream): string => `
.:${port} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${mport}
  cache
  forward . ${up.addr} {
    max_fails 0
  }
}
`

interface Seen {
  readonly rcode: number
  readonly tc: boolean
  readonly answers: number
  readonly opts: number
}

const ok = (s: Seen | string | undefined): Seen | undefined => (typeof s === 'object' ? s : undefined)

function seen(b: Uint8Array | undefined): Seen | string | undefined {
  if (b === undefined) return undefined
  let m
  try {
    m = decode(b)
  } catch (err) {
    return `undecodable (${(err as Error).message})`
  }
  return {
    rcode: b[3]! & 0xf,
    tc: m.flag_tc === true,
    answers: m.answers?.length ?? 0,
    opts: m.additionals?.filter((a) => a.type === 'OPT').length ?? 0,
  }
}

export interface RepliesParams {
  /** Queries a second for flood names (each a miss that brings a broken reply). */
  readonly rate: number
  readonly durationMs: number
}

export async function upstreamReplies(p: RepliesParams): Promise<Outcome> {
  const out = new Outcome('upstream-replies')
  const up = await fakeUpstream(hostile)
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns({ corefile: corefile(port, mport, up), nodeArgs: IMAGE_HEAP_FLAGS })
    const udp = async (name: string, edns = false): Promise<Seen | string | undefined> =>
      seen(await udpQuery('127.0.0.1', port, buildQuery(name, 'A', { edns }), { timeoutMs: 3000 }))
    const tcp = async (name: string): Promise<Seen | string | undefined> =>
      seen(await tcpQuery('127.0.0.1', port, buildQuery(name, 'A'), { timeoutMs: 3000 }))

    for (const [kind, , repaired] of KINDS) {
      // a 10-byte reply cannot be matched to a query: dropped like a stray (forward's tests),
      // SERVFAIL once both tries time out
      if (kind === 'truncated header') continue
      const name = `${slug(kind)}.${ZONE}`
      if (!repaired) {
        const short = kind === 'truncated RDATA'
        const u = await udp(name)
        const t = await tcp(name)
        // CoreDNS: an empty TC reply over UDP when the bytes run out mid-record, else SERVFAIL
        out.expect(short ? ok(u)?.tc === true && ok(u)?.answers === 0 : ok(u)?.rcode === 2,
          `${kind} over UDP: ${JSON.stringify(u)}`)
        out.expect(ok(t)?.rcode === 2, `${kind} over TCP: ${JSON.stringify(t)}`)
        continue
      }
      const fresh = await udp(name)
      const replay = await udp(name)
      const withEdns = await udp(name, true)
      for (const [what, s, opts] of [['fresh', fresh, 0], ['replayed', replay, 0],
        ['to an EDNS client', withEdns, 1]] as const) {
        out.expect(ok(s)?.rcode === 0 && ok(s)?.answers === 1 && ok(s)?.opts === opts,
          `${kind}, ${what}: ${JSON.stringify(s)} (want NOERROR, 1 answer, ${opts} OPT)`)
      }
    }
    const counted = await metric(`127.0.0.1:${mport}`, 'tsdns_shed_total',
      { bound: 'upstream_reply' })
    out.set({ kinds: KINDS.length, counted })
    out.expect(counted >= KINDS.length - 1, `tsdns_shed_total{bound="upstream_reply"} ${counted}`)

    let flood = 0
    const kinds = [...bySlug.keys()].filter((k) => k !== 'truncated-header')
    const figures = await underAttack(out, { tsdns, host: '127.0.0.1', port,
      name: 'bystander.test.' }, async (signal) => {
      const gap = 1000 / p.rate
      const start = Date.now()
      while (!signal.aborted) {
        const name = `${kinds[flood % kinds.length]}.${flood}.${ZONE}`
        flood++
        void udpQuery('127.0.0.1', port, buildQuery(name, 'A'), { timeoutMs: 500 }).catch(() => {})
        const ahead = start + flood * gap - Date.now()
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead))
      }
    }, { durationMs: p.durationMs })
    out.set({ flood, ...figures })
  } catch (err) {
    out.expect(false, `scenario error: ${(err as Error).message}`)
  } finally {
    await tsdns?.stop()
    await up.close()
  }
  return out
}
