// Floods. Unique random names at full speed: the cache fills to its capacity and memory levels
// off there. A slow upstream behind max_concurrent: the excess is answered REFUSED at once
// instead of queueing. Thousands of idle TCP connections: UDP service goes on unharmed and the
// server closes the idle ones at its read timeout. Slow TCP clients that trickle a byte now and
// then but never finish a message: closed at the read timeout all the same (slowloris), so they
// cannot hold every connection slot and keep real TCP clients out.

import net from 'node:net'
import { answer, buildQuery, fakeUpstream, freePort, slow, sleep, startTsdns, startUnbound,
  tcpQuery } from '../../helpers/index.ts'
import type { Tsdns, Unbound } from '../../helpers/index.ts'
import { round, runLoad, summarize } from '../lib/load.ts'
import { metric, openFds, rssMiB } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'

export interface UniqueParams {
  readonly durationMs: number
  /** Cache capacity (success and denial each). */
  readonly capacity: number
  /** RSS at the end may exceed RSS at the half-way point by at most this much (MiB). */
  readonly plateauSlackMiB: number
  /** Node options for tsdns (the image's heap flags, or none as a bare `node` run). */
  readonly nodeArgs?: readonly string[]
}

/** Unique names as fast as tsdns takes them, with a bounded cache in front of unbound. */
export async function uniqueNames(p: UniqueParams): Promise<Outcome> {
  const out = new Outcome('flood-unique-names')
  const unbound: Unbound = await startUnbound({
    zones: [{ name: 'flood.test', type: 'redirect' }],
    records: ['flood.test. 300 IN A 192.0.2.7'],
  })
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns({
      nodeArgs: p.nodeArgs ?? [],
      corefile: `
.:${port} {
  prometheus 127.0.0.1:${mport}
  cache {
    success ${p.capacity}
    denial ${p.capacity}
  }
  forward . ${unbound.host}:${unbound.port}
}
`,
    })
    const pid = tsdns.pid
    const rss: number[] = [rssMiB(pid)]
    const heap: number[] = []
    const sampleHeap = (): void => void metric(`127.0.0.1:${mport}`, 'nodejs_heap_size_used_bytes')
      .then((b) => heap.push(round(b / 1048576)), () => {})
    const sampleEvery = Math.max(500, Math.floor(p.durationMs / 20))
    let nextSample = sampleEvery
    const salt = Math.floor(Math.random() * 1e9).toString(36)
    const res = await runLoad({
      host: '127.0.0.1', port, durationMs: p.durationMs, window: 200, timeoutMs: 3000,
      query: (i) => buildQuery(`${salt}-${i.toString(36)}.flood.test`, 'A'),
      onTick: (t) => {
        if (t < nextSample) return
        nextSample += sampleEvery
        rss.push(rssMiB(pid))
        sampleHeap()
      },
    })
    const s = summarize(res)
    const entries = await metric(`127.0.0.1:${mport}`, 'coredns_cache_entries')
    const half = rss[Math.floor(rss.length / 2)]!
    const end = rss[rss.length - 1]!
    out.set({
      queries: s.sent, qps: s.qps, answered: s.answered, p99Ms: s.p99Ms,
      cacheEntries: entries, capacity: 2 * p.capacity,
      rssStartMiB: rss[0]!, rssHalfMiB: half, rssEndMiB: end, rssMaxMiB: Math.max(...rss),
      heapHalfMiB: heap[Math.floor(heap.length / 2)] ?? NaN, heapEndMiB: heap.at(-1) ?? NaN,
    })
    out.expect(s.sent > 4 * p.capacity, `only ${s.sent} names sent: the cache never filled`)
    out.expect(entries <= 2 * p.capacity, `${entries} cache entries, capacity ${2 * p.capacity}`)
    out.expect(end <= half + p.plateauSlackMiB,
      `RSS grew from ${half} MiB half-way to ${end} MiB (no plateau)`)
    out.expect(s.lost < s.sent * 0.01, `${s.lost} of ${s.sent} queries lost`)
  } finally {
    await tsdns?.stop()
    await unbound.stop()
  }
  return out
}

export interface ConcurrentParams {
  readonly durationMs: number
  /** Queries per second: far more than maxConcurrent / upstream delay. */
  readonly rate: number
  readonly maxConcurrent: number
  readonly upstreamDelayMs: number
}

/** A slow upstream and max_concurrent: what exceeds the limit is REFUSED at once. */
export async function maxConcurrent(p: ConcurrentParams): Promise<Outcome> {
  const out = new Outcome('flood-max-concurrent')
  const up = await fakeUpstream((q) =>
    slow(p.upstreamDelayMs, answer(q, [{ name: q.name, type: 'A', ttl: 60, data: '192.0.2.8' }])))
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns(`
.:${port} {
  prometheus 127.0.0.1:${mport}
  forward . ${up.addr} {
    max_concurrent ${p.maxConcurrent}
  }
}
`)
    const rssStart = rssMiB(tsdns.pid)
    let inflightMax = 0
    const res = await runLoad({
      host: '127.0.0.1', port, rate: p.rate, durationMs: p.durationMs, window: 5000,
      timeoutMs: 6000,
      query: (i) => buildQuery(`m${i}.slow.test`, 'A'),
      onTick: () => void (inflightMax = Math.max(inflightMax, inFlight(up.queries, p))),
    })
    const s = summarize(res)
    const refusedLat = latencyOf(res, 5)
    const rejects = await metric(`127.0.0.1:${mport}`,
      'coredns_forward_max_concurrent_rejects_total')
    out.set({
      queries: s.sent, qps: s.qps, noerror: s.byRcode.NOERROR ?? 0, refused: s.byRcode.REFUSED ?? 0,
      lost: s.lost, refusedP99Ms: refusedLat, upstreamInflightMax: inflightMax, rejects,
      rssStartMiB: rssStart, rssEndMiB: rssMiB(tsdns.pid),
    })
    out.expect(s.lost === 0, `${s.lost} queries never answered`)
    out.expect((s.byRcode.REFUSED ?? 0) > 0, 'nothing was REFUSED')
    out.expect(rejects === (s.byRcode.REFUSED ?? 0), `rejects metric ${rejects}`)
    out.expect(inflightMax <= p.maxConcurrent,
      `${inflightMax} queries in flight upstream (max_concurrent ${p.maxConcurrent})`)
    out.expect(refusedLat < p.upstreamDelayMs / 2,
      `REFUSED took ${refusedLat} ms at p99: it waited for a slot instead of being refused`)
  } finally {
    await tsdns?.stop()
    await up.close()
  }
  return out
}

/** Upstream queries received within the last upstream delay: the ones still waiting. */
function inFlight(queries: readonly { at: number }[], p: ConcurrentParams): number {
  const since = Date.now() - p.upstreamDelayMs
  let n = 0
  for (let i = queries.length - 1; i >= 0 && queries[i]!.at > since; i--) n++
  return n
}

function latencyOf(res: Awaited<ReturnType<typeof runLoad>>, rcode: number): number {
  const lat: number[] = []
  for (let i = 0; i < res.sent; i++) {
    if (res.rcode[i] === rcode) lat.push(res.doneAt[i]! - res.sentAt[i]!)
  }
  lat.sort((a, b) => a - b)
  return round(lat[Math.floor(lat.length * 0.99)] ?? 0)
}

export interface IdleTcpParams {
  readonly connections: number
  /** UDP queries per second while the connections sit idle. */
  readonly udpRate: number
}

/** Many idle TCP connections: UDP keeps its latency, the server closes them at its timeout. */
export async function idleTcp(p: IdleTcpParams): Promise<Outcome> {
  const out = new Outcome('flood-idle-tcp')
  const unbound = await startUnbound({ zones: [{ name: 'idle.test', type: 'redirect' }],
    records: ['idle.test. 300 IN A 192.0.2.9'] })
  let tsdns: Tsdns | undefined
  const socks: net.Socket[] = []
  try {
    const port = await freePort('both')
    tsdns = await startTsdns(
      `.:${port} {\n  cache 30\n  forward . ${unbound.host}:${unbound.port}\n}`)
    const baseline = summarize(await runLoad({
      host: '127.0.0.1', port, rate: p.udpRate, durationMs: 1000,
      query: (i) => buildQuery(`b${i % 100}.idle.test`, 'A'),
    }))
    const fdsBefore = openFds(tsdns.pid)
    const t0 = performance.now()
    const closedAt: number[] = []
    const refused = await connectMany(port, p.connections, socks,
      () => closedAt.push(performance.now() - t0))
    const connectMs = performance.now() - t0
    let fdsOpen = 0
    // UDP load from now until past the read timeout, when the server closes the idle ones
    const during = summarize(await runLoad({
      host: '127.0.0.1', port, rate: p.udpRate, durationMs: 4500,
      query: (i) => buildQuery(`d${i % 100}.idle.test`, 'A'),
      onTick: (t) => void (t > 500 && fdsOpen === 0 && (fdsOpen = openFds(tsdns!.pid))),
    }))
    for (let i = 0; i < 20 && closedAt.length < p.connections; i++) await sleep(100)
    const lastClose = Math.max(...closedAt)
    out.set({
      connections: p.connections, connectMs: Math.round(connectMs), connectErrors: refused,
      serverFdsBefore: fdsBefore, serverFdsWithIdle: fdsOpen, closedByServer: closedAt.length,
      lastCloseMs: Math.round(lastClose),
      udpBefore: `p50 ${baseline.p50Ms} ms, p99 ${baseline.p99Ms} ms, lost ${baseline.lost}`,
      udpDuring: `p50 ${during.p50Ms} ms, p99 ${during.p99Ms} ms, max ${during.maxMs} ms, ` +
        `lost ${during.lost}`,
    })
    // unaffected: nothing lost, the median as before, no delay a client would notice
    out.expect(during.lost === 0, `${during.lost} UDP queries lost with idle TCP connections open`)
    out.expect(during.p50Ms <= 2 * baseline.p50Ms + 1, `UDP p50 ${during.p50Ms} ms`)
    out.expect(during.p99Ms < 200, `UDP p99 ${during.p99Ms} ms`)
    out.expect(closedAt.length === p.connections,
      `${p.connections - closedAt.length} idle connections still open after 6.5 s`)
    // CoreDNS's 3 s first-read timeout, plus room for the timers and the closes
    out.expect(lastClose < 5000, `the last idle connection closed after ${lastClose} ms`)
  } finally {
    for (const s of socks) s.destroy()
    await tsdns?.stop()
    await unbound.stop()
  }
  return out
}

export interface TrickleParams {
  /** More than the server's connection limit (1024), to show whether real clients get in. */
  readonly connections: number
  /** One byte per connection this often: well inside the 3 s read timeout. */
  readonly everyMs: number
}

/** Slowloris: connections that trickle bytes but never complete a query. */
export async function trickleTcp(p: TrickleParams): Promise<Outcome> {
  const out = new Outcome('flood-trickle-tcp')
  let tsdns: Tsdns | undefined
  const socks: net.Socket[] = []
  let timer: NodeJS.Timeout | undefined
  try {
    const port = await freePort('both')
    tsdns = await startTsdns(`.:${port} {\n  whoami\n}`)
    const t0 = performance.now()
    const closedAt: number[] = []
    await connectMany(port, p.connections, socks, () => closedAt.push(performance.now() - t0))
    // a length prefix promising 512 bytes, then one byte at a time
    for (const s of socks) if (!s.destroyed) s.write(Buffer.from([0x02, 0x00]))
    timer = setInterval(() => {
      for (const s of socks) if (!s.destroyed) s.write(Buffer.from([0]))
    }, p.everyMs)
    // past the 3 s first-read timeout: every trickler should be gone, a real client served
    await sleep(4500)
    const open = socks.filter((s) => !s.destroyed).length
    const real = await tcpQuery('127.0.0.1', port, buildQuery('who.soak.test', 'A'),
      { timeoutMs: 2000 }).catch(() => undefined)
    out.set({ connections: p.connections, trickleEveryMs: p.everyMs, openAfter4500Ms: open,
      closedByServer: closedAt.length, realClientAnswered: real !== undefined })
    out.expect(open === 0, `${open} trickling connections still open 4.5 s after connecting`)
    out.expect(real !== undefined, 'a real TCP client was not answered while tricklers held on')
  } finally {
    clearInterval(timer)
    for (const s of socks) s.destroy()
    await tsdns?.stop()
  }
  return out
}

/**
 * Opens n TCP connections into `socks`, in batches the listen backlog (511) holds: past it the
 * kernel drops handshakes the client already counts as done, and the server accepts them only
 * seconds later. Returns how many failed to connect.
 */
async function connectMany(port: number, n: number, socks: net.Socket[],
  onClose: () => void): Promise<number> {
  let failed = 0
  for (let i = 0; i < n; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, n - i) }, () =>
      new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve())
        s.on('error', () => {
          failed++
          resolve()
        })
        s.on('close', onClose)
        socks.push(s)
      })))
  }
  return failed
}
