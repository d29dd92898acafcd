// Spoofing. For every query tsdns sends upstream, forged replies race the real one, which comes
// 30 ms later: a wrong ID and a wrong question from the upstream's own address and port, the
// right ID and question from another port of the same address, and the right ID, question and
// port number from another loopback address (a rogue on 127.0.0.2). None may be accepted, none
// cached. Then the IDs and source ports of the upstream queries are measured for uniformity.

import dgram from 'node:dgram'
import { readFileSync } from 'node:fs'
import dnsPacket from 'dns-packet'
import { answer, answerData, buildQuery, fakeUpstream, freePort, reply, slow, spoofed,
  startTsdns, udpQuery, wrongId, wrongQuestion } from '../../helpers/index.ts'
import type { FakeAction, FakeQuery, FakeUpstream, Tsdns } from '../../helpers/index.ts'
import { metric } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'

export interface SpoofParams {
  /** Distinct names asked (each one raced by the forgers). */
  readonly names: number
  /** Upstream queries sampled for the ID and port statistics. */
  readonly samples: number
}

const REAL = '192.0.2.1'
const FORGED = '192.0.2.66'

export async function spoofing(p: SpoofParams): Promise<Outcome> {
  const out = new Outcome('spoofing')
  const rogue = dgram.createSocket('udp4')
  rogue.on('error', () => {})
  let up: FakeUpstream | undefined
  let tsdns: Tsdns | undefined
  try {
    up = await fakeUpstream(() => undefined)
    await new Promise<void>((resolve, reject) => {
      rogue.once('error', reject)
      rogue.bind(up!.port, '127.0.0.2', () => resolve()) // same port number, other address
    })
    const rec = (q: FakeQuery, ip: string) =>
      [{ name: q.name, type: 'A' as const, ttl: 300, data: ip }]
    up.setHandler((q): FakeAction => {
      if (q.type !== 'A') return answer(q, [])
      const forged = reply(q, { answers: rec(q, FORGED) })
      rogue.send(dnsPacket.encode(forged), q.from.port, q.from.address)
      return [wrongId(q, rec(q, FORGED)), wrongQuestion(q), spoofed(forged),
        slow(30, answer(q, rec(q, REAL)))]
    })
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns(`
.:${port} {
  prometheus 127.0.0.1:${mport}
  cache 300
  forward . ${up.addr}
}
`)
    const ask = (name: string): Promise<Buffer | undefined> =>
      udpQuery('127.0.0.1', port, buildQuery(name, 'A'), { timeoutMs: 3000 })
    const names = Array.from({ length: p.names }, (_, i) => `s${i}.spoof.test`)
    const verdicts = { real: 0, forged: 0, other: 0 }
    for (const pass of ['miss', 'cached']) {
      for (let i = 0; i < names.length; i += 50) {
        const replies = await Promise.all(names.slice(i, i + 50).map(ask))
        for (const r of replies) {
          const data = r === undefined ? [] : answerData(r)
          if (data.includes(FORGED)) verdicts.forged++
          else if (data.length === 1 && data[0] === REAL) verdicts.real++
          else verdicts.other++
        }
      }
      out.set({ [`${pass}Real`]: verdicts.real, [`${pass}Forged`]: verdicts.forged })
      out.expect(verdicts.forged === 0, `${pass}: ${verdicts.forged} forged answers accepted`)
      out.expect(verdicts.other === 0, `${pass}: ${verdicts.other} queries without the real answer`)
      verdicts.real = verdicts.forged = verdicts.other = 0
    }
    const upstreamQueries = up.queries.filter((q) => q.type === 'A').length
    out.expect(upstreamQueries === p.names,
      `${upstreamQueries} upstream queries for ${p.names} names`)
    const dropped = async (reason: string): Promise<number> =>
      metric(`127.0.0.1:${mport}`, 'coredns_forward_dropped_replies_total', { reason })
    const drops = { id: await dropped('id'), question: await dropped('question'),
      source: await dropped('source') }
    out.set({ droppedId: drops.id, droppedQuestion: drops.question, droppedSource: drops.source })
    // every forgery that reached a waiting socket is counted (after a reply, the socket may be
    // reused or closed: a late forgery then counts against another query or meets no socket);
    // those from another address or port never reach one: forward's UDP sockets are connected
    out.expect(drops.id >= p.names * 0.9 && drops.question >= p.names * 0.9 &&
      drops.source === 0, `dropped replies: ${JSON.stringify(drops)}`)

    // randomness of what goes upstream: plain answers now, many queries at once; first with the
    // default socket reuse, then with `expire 0s` (a fresh socket, so a fresh port, per query)
    up.setHandler((q) => answer(q, rec(q, REAL)))
    const reused = await sample(up, (name) => ask(name), p.samples, 'r')
    await tsdns.stop()
    tsdns = await startTsdns(`.:${port} {\n  forward . ${up.addr} {\n    expire 0s\n  }\n}`)
    const fresh = await sample(up, (name) => ask(name), p.samples, 'f')
    const ids = [...reused, ...fresh].map((q) => q.id)
    const idChi = chiSquare(ids.map((id) => id >>> 8), 256)
    const span = (ports: number[]): string => `${Math.min(...ports)}-${Math.max(...ports)}`
    const reusedPorts = [...new Set(reused.map((q) => q.from.port))]
    const freshPorts = [...new Set(fresh.map((q) => q.from.port))]
    const [lo, hi] = EPHEMERAL
    const bin16 = (x: number): number => Math.floor(((x - lo) * 16) / (hi - lo + 1))
    const portChi = chiSquare(freshPorts.map(bin16), 16)
    out.set({
      idSamples: ids.length, idDistinct: new Set(ids).size,
      idExpectedDistinct: Math.round(65536 * (1 - Math.exp(-ids.length / 65536))),
      idChiSquare256: round1(idChi),
      portsReusedDistinct: reusedPorts.length, portsReusedRange: span(reusedPorts),
      portsFreshDistinct: freshPorts.length, portsFreshRange: span(freshPorts),
      portsFreshChiSquare16: round1(portChi),
    })
    // 255 degrees of freedom: mean 255, sd 22.6; 5 sd above is far beyond chance
    out.expect(idChi < 368, `upstream IDs not uniform: chi-square ${round1(idChi)}`)
    // 15 degrees of freedom: mean 15, sd 5.5
    out.expect(portChi < 43, `fresh source ports not uniform: chi-square ${round1(portChi)}`)
    // n uniform draws from the range give range * (1 - e^(-n/range)) distinct ports
    const range = hi - lo + 1
    const expected = range * (1 - Math.exp(-fresh.length / range))
    out.set({ portsFreshExpectedDistinct: Math.round(expected) })
    out.expect(freshPorts.length > expected * 0.95,
      `${freshPorts.length} distinct fresh ports, ${Math.round(expected)} expected`)
  } finally {
    await tsdns?.stop()
    await up?.close()
    rogue.close()
  }
  return out
}

/** The kernel's ephemeral port range (net.ipv4.ip_local_port_range). */
const EPHEMERAL: readonly [number, number] = (() => {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim()
      .split(/\s+/).map(Number)
    return [lo!, hi!]
  } catch {
    return [32768, 60999]
  }
})()

/** n queries, 100 at a time; the upstream queries they caused. */
async function sample(up: FakeUpstream, ask: (name: string) => Promise<unknown>, n: number,
  prefix: string): Promise<FakeQuery[]> {
  const before = up.queries.length
  for (let i = 0; i < n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) =>
      ask(`${prefix}${i + j}.random.test`)))
  }
  return up.queries.slice(before).filter((q) => q.proto === 'udp')
}

/** Pearson's chi-square of values in [0, bins) against the uniform distribution. */
export function chiSquare(values: readonly number[], bins: number): number {
  const counts = new Array<number>(bins).fill(0)
  for (const v of values) counts[v]!++
  const expected = values.length / bins
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
}

const round1 = (x: number): number => Math.round(x * 10) / 10
