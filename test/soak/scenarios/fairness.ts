// Fairness (issue 14 items 5a, 6). One source floods never-answered names through a forward
// with max_concurrent while ten other sources (127.0.0.2-11) look up fresh names: the flooder's
// excess is shed, every other client is answered, none REFUSED. A random qclass/qtype flood
// against `template ANY ANY`: the template's label sets stay bounded.

import dgram from 'node:dgram'
import { answer, buildQuery, drop, fakeUpstream, freePort, IMAGE_HEAP_FLAGS, sleep, startTsdns }
  from '../../helpers/index.ts'
import type { Tsdns } from '../../helpers/index.ts'
import { underAttack } from '../lib/attack.ts'
import { metric } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'

const FLOODER = '127.0.0.20'

/** Sends `rate` queries a second from `address` until the signal aborts; replies are read and dropped. */
async function flood(address: string, port: number, rate: number, signal: AbortSignal,
  query: (i: number) => Buffer): Promise<{ sent: number; refused: number }> {
  const sock = dgram.createSocket('udp4')
  let refused = 0
  sock.on('message', (m) => void (refused += (m[3]! & 0xf) === 5 ? 1 : 0))
  await new Promise<void>((resolve) => sock.bind(0, address, resolve))
  let sent = 0
  const t0 = performance.now()
  while (!signal.aborted) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate)
    for (; sent < due; sent++) sock.send(query(sent), port, '127.0.0.1')
    await sleep(10)
  }
  await sleep(200)
  sock.close()
  return { sent, refused }
}

interface ClientTally {
  asked: number
  answered: number
  refused: number
  unanswered: number
}

/** One client at `address`: a fresh name every `everyMs` until the signal aborts. */
async function client(address: string, port: number, everyMs: number, signal: AbortSignal,
  tally: ClientTally): Promise<void> {
  const sock = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => sock.bind(0, address, resolve))
  const pending = new Map<number, (rcode: number | undefined) => void>()
  sock.on('message', (m) => pending.get(m.readUInt16BE(0))?.(m[3]! & 0xf))
  let i = 0
  while (!signal.aborted) {
    const id = (i++ & 0xffff)
    const name = `${address.replaceAll('.', '-')}-${i}-${Math.random().toString(36).slice(2)}.ok.test`
    tally.asked++
    const rcode = await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(resolve, 2000, undefined)
      pending.set(id, (rc) => {
        clearTimeout(timer)
        resolve(rc)
      })
      sock.send(buildQuery(name, 'A', { id }), port, '127.0.0.1')
    })
    pending.delete(id)
    if (rcode === 0) tally.answered++
    else if (rcode === 5) tally.refused++
    else tally.unanswered++
    await sleep(everyMs)
  }
  sock.close()
}

export interface StarveParams {
  readonly durationMs: number
  /** The flooder's never-answered queries a second. */
  readonly rate: number
  readonly maxConcurrent: number
  readonly clients: number
}

/** One source fills max_concurrent with names the upstream never answers; the others are served. */
export async function oneSourceFloods(p: StarveParams): Promise<Outcome> {
  const out = new Outcome('forward-fair-share')
  const up = await fakeUpstream((q) => q.name.includes('drop.test') ? drop()
    : answer(q, [{ name: q.name, type: 'A', ttl: 60, data: '192.0.2.1' } as never]))
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns({
      nodeArgs: IMAGE_HEAP_FLAGS,
      corefile: `
.:${port} {
  prometheus 127.0.0.1:${mport}
  forward . ${up.addr} {
    max_concurrent ${p.maxConcurrent}
  }
}
`,
    })
    const target = { tsdns, host: '127.0.0.1', port, name: 'bystander.ok.test.' }
    const tally: ClientTally = { asked: 0, answered: 0, refused: 0, unanswered: 0 }
    let flooded = { sent: 0, refused: 0 }
    await underAttack(out, target, async (signal) => {
      const salt = Math.random().toString(36).slice(2)
      const flooding = flood(FLOODER, port, p.rate, signal,
        (i) => buildQuery(`${salt}-${i}.drop.test`, 'A'))
      await sleep(500) // the flooder fills the table first
      const clients = Array.from({ length: p.clients }, (_, i) =>
        client(`127.0.0.${i + 2}`, port, 100, signal, tally))
      ;[flooded] = await Promise.all([flooding, ...clients])
    }, { durationMs: p.durationMs })
    const m = `127.0.0.1:${mport}`
    const preempted = await metric(m, 'tsdns_shed_total', { bound: 'forward_fair_share' })
    const rejects = await metric(m, 'coredns_forward_max_concurrent_rejects_total')
    out.set({ floodSent: flooded.sent, floodRefused: flooded.refused, clientsAsked: tally.asked,
      clientsAnswered: tally.answered, clientsRefused: tally.refused,
      clientsUnanswered: tally.unanswered, preempted, rejects })
    out.expect(tally.asked >= p.clients * 5, `clients asked only ${tally.asked} names`)
    out.expect(tally.refused === 0, `${tally.refused} of ${tally.asked} client lookups REFUSED`)
    out.expect(tally.unanswered === 0, `${tally.unanswered} client lookups unanswered`)
    out.expect(rejects + preempted > 0 && flooded.refused > 0,
      'the flooder was never shed: it did not reach max_concurrent')
  } finally {
    await tsdns?.stop()
    await up.close()
  }
  return out
}

export interface LabelParams {
  readonly durationMs: number
  readonly rate: number
}

/** The most coredns_template_matches_total series one zone can have (README: 7 x ~100). */
const TEMPLATE_SERIES_CAP = 7 * 110

/** Random qclass and qtype against `template ANY ANY`: the series count stays bounded. */
export async function templateLabelFlood(p: LabelParams): Promise<Outcome> {
  const out = new Outcome('template-label-flood')
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    // forward in the block: other classes than IN are served (as in CoreDNS), not REFUSED
    tsdns = await startTsdns({
      nodeArgs: IMAGE_HEAP_FLAGS,
      corefile: `
.:${port} {
  prometheus 127.0.0.1:${mport}
  template ANY ANY tpl.test {
    answer "{{ .Name }} 60 IN A 192.0.2.9"
  }
  forward elsewhere.test 127.0.0.1:9
}
`,
    })
    const target = { tsdns, host: '127.0.0.1', port, name: 'bystander.tpl.test.' }
    const base = buildQuery('x.tpl.test', 'A')
    const qend = base.length
    let flooded = { sent: 0, refused: 0 }
    await underAttack(out, target, async (signal) => {
      flooded = await flood(FLOODER, port, p.rate, signal, (i) => {
        const q = Buffer.from(base)
        q.writeUInt16BE(Math.floor(Math.random() * 65536), qend - 4)
        q.writeUInt16BE(i % 2 === 0 ? 1 : Math.floor(Math.random() * 65536), qend - 2)
        return q
      })
    }, { durationMs: p.durationMs })
    const text = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
    const series = text.split('\n').filter((l) => l.startsWith('coredns_template_matches_total{'))
    out.set({ floodSent: flooded.sent, templateSeries: series.length, metricsBytes: text.length })
    out.expect(flooded.sent > 1000, `only ${flooded.sent} queries sent`)
    out.expect(series.length > 1 && series.length <= TEMPLATE_SERIES_CAP,
      `${series.length} template series (cap ${TEMPLATE_SERIES_CAP})`)
  } finally {
    await tsdns?.stop()
  }
  return out
}
