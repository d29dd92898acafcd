// Packet fuzzing over real sockets: hostile datagrams and TCP streams at a running tsdns whose
// chain covers the cache, forward (to unbound, and to an upstream answering hostile replies),
// hosts, template, acl, any, loadbalance and whoami. Afterwards the process must still run,
// have recovered from no panic, answer valid queries on both transports, and must not leak: heap
// and descriptors back where they were, RSS levelled off and near its baseline.

import dgram from 'node:dgram'
import net from 'node:net'
import dnsPacket from 'dns-packet'
import { answer, buildQuery, fakeUpstream, freePort, rcodeName, sleep, startTsdns, startUnbound,
  tcpQuery, udpQuery } from '../../helpers/index.ts'
import type { FakeUpstream, Tsdns, Unbound } from '../../helpers/index.ts'
import { mutant, mutantReply, Rng, seedQueries } from '../lib/fuzz.ts'
import { metric, openFds, rssMiB } from '../lib/proc.ts'
import { round, runLoad } from '../lib/load.ts'
import { Outcome } from '../lib/outcome.ts'

export interface FuzzParams {
  readonly udp: number
  readonly tcp: number
  readonly seed: number
  /** UDP packets per second. */
  readonly rate: number
  /** RSS after the fuzz may exceed the warm baseline by at most this much (MiB). */
  readonly rssSlackMiB: number
  /** How long RSS may take to come back, idle (ms). */
  readonly settleMs: number
  /** Valid traffic at `rate` before the baseline is taken (ms). */
  readonly warmupMs: number
}

const ZONES = ['example.org', 'hostile.test', 'hosts.test', 'tmpl.test', 'soak.test']

export async function packetFuzz(p: FuzzParams): Promise<Outcome> {
  const out = new Outcome('fuzz')
  const rng = new Rng(p.seed)
  const unbound = await startUnbound({
    zones: ['example.org'],
    records: ['www.example.org. 300 IN A 127.0.0.2', 'x.example.org. 300 IN TXT "x"',
      'a.b.c.example.org. 300 IN AAAA ::1'],
  })
  // right ID and question, hostile records: this reaches forward's checks, the cache and scrub
  const replyRng = new Rng(p.seed ^ 0x5a5a5a5a)
  const hostile = await fakeUpstream((q) => {
    try {
      const good = dnsPacket.encode(answer(q, [{ name: q.name, type: 'A', ttl: 60,
        data: '192.0.2.1' }]))
      return replyRng.int(4) === 0 ? good : mutantReply(replyRng, q.bytes, good)
    } catch {
      return undefined // a question dns-packet cannot echo: silence
    }
  })
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns(corefile(port, mport, unbound, hostile))
    const pid = tsdns.pid
    const valid = buildQuery('www.example.org', 'A', { edns: true })
    // warm up with valid traffic at the fuzz's rate: the baseline is the memory of a server
    // that has been busy (the allocator keeps its high-water mark), not of an idle one
    const warm = await runLoad({ host: '127.0.0.1', port, rate: p.rate, durationMs: p.warmupMs,
      timeoutMs: 2000, window: 1024,
      query: (i) => buildQuery(`n${i % 5000}.${ZONES[i % ZONES.length]}`, 'A'),
    })
    const rssBase = rssMiB(pid)
    const fdsBase = openFds(pid)
    const heapBase = await heapMiB(mport)
    const seeds = seedQueries(ZONES)
    let rssHalf = 0
    const udp = await fuzzUdp(port, p.udp, p.rate, rng, seeds, () => (rssHalf = rssMiB(pid)))
    const t1 = performance.now()
    const tcp = await fuzzTcp(port, p.tcp, rng, seeds)
    const tcpSecs = (performance.now() - t1) / 1000
    const rssPeak = rssMiB(pid)
    const alive = tsdns.status() === undefined
    out.expect(alive, `tsdns exited during the fuzz: ${JSON.stringify(tsdns.status())}`)
    const udpAfter = await udpQuery('127.0.0.1', port, valid)
    const tcpAfter = await tcpQuery('127.0.0.1', port, valid)
    out.expect(udpAfter !== undefined && rcodeName(udpAfter) === 'NOERROR',
      'a valid UDP query after the fuzz was not answered NOERROR')
    out.expect(tcpAfter !== undefined && rcodeName(tcpAfter) === 'NOERROR',
      'a valid TCP query after the fuzz was not answered NOERROR')
    // memory: idle a while, in case V8 gives pages back
    let rssAfter = rssMiB(pid)
    for (let i = 0; i < p.settleMs / 1000 && rssAfter > rssBase + p.rssSlackMiB; i++) {
      await sleep(1000)
      rssAfter = rssMiB(pid)
    }
    // descriptors: the queries still in flight end within forward's deadline and the pooled
    // upstream sockets close at `expire` (2 s here); a leak stays open past both
    let fdsAfter = openFds(pid)
    for (let i = 0; i < 10 && fdsAfter > fdsBase + 32; i++) {
      await sleep(1000)
      fdsAfter = openFds(pid)
    }
    const heapAfter = alive ? await heapMiB(mport) : NaN
    const heapCommitted = alive ? await heapMiB(mport, 'nodejs_heap_size_total_bytes') : NaN
    const panics = alive ? await metric(`127.0.0.1:${mport}`, 'coredns_panics_total') : NaN
    out.expect(panics === 0, `${panics} panics recovered during the fuzz`)
    // no leak: the JS heap in use and the open sockets come back; RSS stays near the baseline
    // (V8 keeps heap pages it grew into committed: see docs/reliability.md)
    out.expect(heapAfter <= heapBase + 32, `heap ${heapAfter} MiB after, ${heapBase} MiB before`)
    out.expect(fdsAfter <= fdsBase + 32, `${fdsAfter} open descriptors after, ${fdsBase} before`)
    out.expect(rssAfter <= rssBase + p.rssSlackMiB,
      `RSS ${rssAfter} MiB after the fuzz, baseline ${rssBase} MiB (+${p.rssSlackMiB} allowed)`)
    out.set({
      seed: p.seed, warmupQueries: warm.sent,
      udpSent: udp.sent, udpReplies: udp.replies, udpPerSec: Math.round(udp.sent / udp.secs),
      tcpSent: tcp.sent, tcpReplies: tcp.replies, tcpConnections: tcp.connections,
      tcpClosedByServer: tcp.closedByServer, tcpSecs: round(tcpSecs),
      hostileUpstreamQueries: hostile.queries.length,
      panics, heapBaseMiB: heapBase, heapAfterMiB: heapAfter, heapCommittedAfterMiB: heapCommitted,
      fdsBase, fdsAfter,
      rssBaseMiB: rssBase, rssHalfMiB: rssHalf, rssPeakMiB: rssPeak, rssAfterMiB: rssAfter,
    })
  } finally {
    await tsdns?.stop()
    await hostile.close()
    await unbound.stop()
  }
  return out
}

function corefile(port: number, mport: number, unbound: Unbound, hostile: FakeUpstream): string {
  return `
(common) {
  errors
  prometheus 127.0.0.1:${mport}
}
example.org:${port} {
  import common
  acl {
    block type AXFR IXFR
  }
  any
  cache 30
  loadbalance
  forward . ${unbound.host}:${unbound.port} {
    max_concurrent 500
    expire 2s
  }
}
hostile.test:${port} {
  import common
  cache 30
  forward . ${hostile.addr} {
    read_timeout 300ms
    max_fails 0
    expire 2s
  }
}
hosts.test:${port} {
  import common
  hosts {
    10.0.0.1 www.hosts.test
    10.0.0.2 www.hosts.test
  }
}
tmpl.test:${port} {
  import common
  template IN A tmpl.test {
    match "^(?P<x>[a-z0-9-]+)[.]tmpl[.]test[.]$"
    answer "{{ .Name }} 60 IN A 10.0.0.3"
  }
}
soak.test:${port} {
  import common
  whoami
}
`
}

async function heapMiB(mport: number, name = 'nodejs_heap_size_used_bytes'): Promise<number> {
  return round(await metric(`127.0.0.1:${mport}`, name) / 1048576)
}

/** Sends n hostile datagrams at `rate` per second; counts what comes back. */
async function fuzzUdp(port: number, n: number, rate: number, rng: Rng,
  seeds: readonly Uint8Array[], halfway: () => void):
  Promise<{ sent: number; replies: number; secs: number }> {
  const sock = dgram.createSocket('udp4')
  let replies = 0
  sock.on('message', () => void replies++)
  sock.on('error', () => {})
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
  const start = performance.now()
  let sent = 0
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000) + 1)
    while (sent < due) {
      sock.send(mutant(rng, seeds), port, '127.0.0.1')
      if (++sent === n >>> 1) halfway()
    }
    await sleep(2)
  }
  const secs = (performance.now() - start) / 1000
  await sleep(1000) // replies still in flight (hostile upstream timeouts are 300 ms)
  sock.close()
  return { sent, replies, secs }
}

/**
 * n hostile messages over TCP: 50 per connection, 32 connections at a time, each closed by us
 * after 400 ms of silence. A third of the connections end with a garbage length prefix.
 */
async function fuzzTcp(port: number, n: number, rng: Rng, seeds: readonly Uint8Array[]):
  Promise<{ sent: number; replies: number; connections: number; closedByServer: number }> {
  const PER_CONN = 50
  const PARALLEL = 32
  let sent = 0
  let replies = 0
  let connections = 0
  let closedByServer = 0
  const one = (): Promise<void> => new Promise((resolve) => {
    connections++
    const sock = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    for (let i = 0; i < PER_CONN && sent < n; i++, sent++) {
      const m = mutant(rng, seeds)
      const len = Buffer.alloc(2)
      len.writeUInt16BE(rng.int(3) === 0 && i === PER_CONN - 1 ? rng.int(0x10000) : m.length)
      chunks.push(len, Buffer.from(m))
    }
    let pending = Buffer.alloc(0)
    let closedByUs = false
    const quiet = (): void => {
      closedByUs = true
      sock.destroy()
    }
    let timer = setTimeout(quiet, 400)
    sock.on('data', (d) => {
      clearTimeout(timer)
      timer = setTimeout(quiet, 400)
      pending = Buffer.concat([pending, d])
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies++
        pending = pending.subarray(2 + pending.readUInt16BE(0))
      }
    })
    sock.on('error', () => {})
    sock.on('close', () => {
      clearTimeout(timer)
      if (!closedByUs) closedByServer++
      resolve()
    })
    sock.write(Buffer.concat(chunks))
  })
  while (sent < n) {
    const batch: Promise<void>[] = []
    for (let i = 0; i < PARALLEL && sent < n; i++) batch.push(one()) // one() counts its sends
    await Promise.all(batch)
  }
  return { sent, replies, connections, closedByServer }
}
