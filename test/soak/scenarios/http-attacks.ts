// Attacks on the HTTP endpoints (/metrics, /health, /ready; issue 14 item 3), each beside a DNS
// bystander (underAttack) and an HTTP one that asks /health from another source address than the
// attacker's. Before the bounds of src/server/http-guard.ts: 1,500 half-sent 1 MB POSTs took RSS
// from 94 MiB to 1.58 GiB in 2 s, one connection pipelining 3,000 GET /metrics without reading
// added 490 MiB, and connections were not limited at all.

import net from 'node:net'
import { freePort, IMAGE_HEAP_FLAGS, sleep, startTsdns } from '../../helpers/index.ts'
import type { Tsdns } from '../../helpers/index.ts'
import { underAttack } from '../lib/attack.ts'
import { connectionsFrom, metric } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'
import { HTTP_LIMITS } from '../../../src/server/http-guard.ts'

/** The attacker's source address: the per-source bound must cost it, not the bystander. */
const ATTACKER = '127.0.0.2'

interface Site {
  readonly tsdns: Tsdns
  readonly port: number
  readonly metrics: string
  readonly health: string
  readonly ready: string
}

async function withSite(name: string, run: (s: Site, out: Outcome) => Promise<void>): Promise<Outcome> {
  const out = new Outcome(name)
  const [port, m, h, r] = [await freePort('both'), await freePort('tcp'), await freePort('tcp'),
    await freePort('tcp')]
  const tsdns = await startTsdns({
    nodeArgs: IMAGE_HEAP_FLAGS,
    corefile: `.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${m}\n  health 127.0.0.1:${h}\n` +
      `  ready 127.0.0.1:${r}\n  whoami\n}\n`,
  })
  try {
    await run({ tsdns, port, metrics: `127.0.0.1:${m}`, health: `127.0.0.1:${h}`,
      ready: `127.0.0.1:${r}` }, out)
    out.set({ shedHttpConns: await metric(`127.0.0.1:${m}`, 'tsdns_shed_total', { bound: 'http_conns' }),
      shedHttpRequest: await metric(`127.0.0.1:${m}`, 'tsdns_shed_total', { bound: 'http_request' }) })
  } catch (err) {
    out.expect(false, `scenario failed: ${(err as Error).message}`)
  } finally {
    await tsdns.stop()
  }
  return out
}

/** Opens a connection from the attacker's address; never throws (a refused one is just gone). */
function connect(address: string): Promise<net.Socket | undefined> {
  const [host, port] = address.split(':') as [string, string]
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port), localAddress: ATTACKER })
    s.on('error', () => resolve(undefined))
    s.once('connect', () => resolve(s))
  })
}

/** The HTTP bystander: GET /health from 127.0.0.1 until `signal`; failures over 1 s recorded. */
async function httpBystander(address: string, signal: AbortSignal, out: Outcome): Promise<void> {
  let asked = 0
  let failed = 0
  while (!signal.aborted) {
    asked++
    const ok = await fetch(`http://${address}/health`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status === 200, () => false)
    if (!ok) failed++
    await sleep(100)
  }
  out.set({ httpBystanderAsked: asked, httpBystanderFailed: failed })
  out.expect(failed === 0, `HTTP bystander: ${failed} of ${asked} /health requests failed`)
}

async function attackWith(s: Site, out: Outcome, durationMs: number,
  attack: (signal: AbortSignal) => Promise<void>): Promise<void> {
  await underAttack(out, { tsdns: s.tsdns, host: '127.0.0.1', port: s.port, name: 'bystander.test.' },
    (signal) => Promise.all([attack(signal), httpBystander(s.health, signal, out)]).then(() => {}),
    { durationMs })
}

/** Connections tsdns still holds with the attacker after a grace of `ms` (the last may be in
 *  flight): counted on the server's side. */
async function heldAfter(s: Site, ms: number): Promise<number> {
  for (let t = 0; t < ms && connectionsFrom(s.tsdns.pid, ATTACKER) > 0; t += 100) await sleep(100)
  return connectionsFrom(s.tsdns.pid, ATTACKER)
}

export interface HalfSentParams {
  readonly connections: number
  /** Body bytes each sends of an announced 1 MB. */
  readonly bodyBytes: number
  readonly durationMs: number
}

/** POSTs announcing 1 MB bodies, half sent and held, spread over the three endpoints. */
export function halfSentBodies(p: HalfSentParams): Promise<Outcome> {
  return withSite('http-half-sent-bodies', async (s, out) => {
    const held: net.Socket[] = []
    const chunk = Buffer.alloc(p.bodyBytes, 'a')
    let opened = 0
    await attackWith(s, out, p.durationMs, async (signal) => {
      const paths = [[s.metrics, '/metrics'], [s.health, '/health'], [s.ready, '/ready']] as const
      for (let i = 0; i < p.connections && !signal.aborted; i++) {
        const [address, path] = paths[i % 3]!
        const c = await connect(address)
        if (c === undefined) continue
        opened++
        held.push(c)
        c.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n`)
        c.write(chunk)
      }
      while (!signal.aborted) await sleep(50)
    })
    const stillOpen = await heldAfter(s, 3000)
    out.set({ opened, stillOpen })
    out.expect(stillOpen === 0, `${stillOpen} connections still held with their bodies unsent`)
    for (const c of held) c.destroy()
  })
}

export interface PipelineParams {
  readonly requests: number
  readonly connections: number
  readonly durationMs: number
}

/** Connections each pipelining `requests` GET /metrics in one go and never reading. */
export function pipelinedScrapes(p: PipelineParams): Promise<Outcome> {
  return withSite('http-pipelined-scrapes', async (s, out) => {
    const held: net.Socket[] = []
    await attackWith(s, out, p.durationMs, async (signal) => {
      const burst = 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n'.repeat(p.requests)
      for (let i = 0; i < p.connections && !signal.aborted; i++) {
        const c = await connect(s.metrics)
        if (c === undefined) continue
        c.pause() // never reads
        held.push(c)
        c.write(burst)
      }
      while (!signal.aborted) await sleep(50)
    })
    const stillOpen = await heldAfter(s, 3000)
    out.set({ stillOpen })
    out.expect(stillOpen === 0, `${stillOpen} pipelining connections still open`)
    for (const c of held) c.destroy()
  })
}

export interface ConnFloodParams {
  readonly connections: number
  readonly durationMs: number
}

/** Idle connections, as many as the attacker can open, to every endpoint. */
export function connectionFlood(p: ConnFloodParams): Promise<Outcome> {
  return withSite('http-connection-flood', async (s, out) => {
    const held: net.Socket[] = []
    await attackWith(s, out, p.durationMs, async (signal) => {
      const addresses = [s.metrics, s.health, s.ready]
      for (let i = 0; i < p.connections && !signal.aborted; i++) {
        const c = await connect(addresses[i % 3]!)
        if (c !== undefined) held.push(c)
      }
      while (!signal.aborted) await sleep(50)
    })
    const stillOpen = connectionsFrom(s.tsdns.pid, ATTACKER)
    out.set({ opened: held.length, stillOpen })
    // one source holds at most its share of each of the three listeners
    out.expect(stillOpen <= 3 * HTTP_LIMITS.connsPerSource, `${stillOpen} connections held`)
    for (const c of held) c.destroy()
  })
}
