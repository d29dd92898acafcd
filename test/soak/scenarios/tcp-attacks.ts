// Attacks on the TCP listener (issue 14 items 2 and 4), each run beside a well-behaved bystander
// (lib/attack.ts). Pipelining without reading: tsdns stops reading the connection once its
// unwritten answers reach their bound, so memory stays flat and the client is closed at the
// write timeout. Slot hogging: more connections than the table holds, each asking now and then
// from a handful of addresses; newcomers evict the idlest, so the bystander's TCP queries get in.
// Empty-frame keepalives: `\x00\x00` never counts as a message, so such connections are closed at
// their read deadline.

import net from 'node:net'
import { buildQuery, freePort, IMAGE_HEAP_FLAGS, sleep, startTsdns } from '../../helpers/index.ts'
import type { Tsdns } from '../../helpers/index.ts'
import { underAttack } from '../lib/attack.ts'
import { connectionsFrom, metric } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'

const BYSTANDER_NAME = 'bystander.tcp.test.'

/** A Corefile answering `big.tcp.test` with `records` A records (16 bytes each on the wire). */
function corefile(port: number, mport: number, records: number, timeouts = ''): string {
  const answers = Array.from({ length: records },
    (_, i) => `    answer "{{ .Name }} 60 IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}"`)
  return `
.:${port} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${mport}
  ${timeouts}
  template IN A big.tcp.test {
${answers.join('\n')}
  }
  template IN A tcp.test {
    answer "{{ .Name }} 60 IN A 192.0.2.1"
  }
}
`
}

function framed(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(msg.length + 2)
  out.writeUInt16BE(msg.length, 0)
  out.set(msg, 2)
  return out
}

/** tsdns_shed_total{bound}; NaN when /metrics does not answer (a server in trouble). */
const shed = (mport: number, bound: string): Promise<number> =>
  metric(`127.0.0.1:${mport}`, 'tsdns_shed_total', { bound }).catch(() => NaN)

export interface PipelineParams {
  /** A records in the answer: 2000 makes it ~32 KB, 1 makes it ~60 bytes. */
  readonly records: number
  /** Connections pipelining at once, each reconnecting when tsdns closes it. */
  readonly connections: number
  readonly durationMs: number
}

/** Queries pipelined as fast as the socket takes them, never reading an answer. */
export async function pipelineNoRead(p: PipelineParams): Promise<Outcome> {
  const out = new Outcome(`tcp-pipeline-no-read-${p.records === 1 ? 'small' : 'large'}`)
  let tsdns: Tsdns | undefined
  const socks = new Set<net.Socket>()
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns({ corefile: corefile(port, mport, p.records), nodeArgs: IMAGE_HEAP_FLAGS })
    // 64 queries per write: enough to fill any buffer quickly, few enough to stay cheap here
    const batch = Buffer.concat(Array.from({ length: 64 }, () => framed(buildQuery('big.tcp.test'))))
    let sent = 0
    let closedByServer = 0
    const attack = async (signal: AbortSignal): Promise<void> => {
      const one = async (): Promise<void> => {
        while (!signal.aborted) {
          await new Promise<void>((resolve) => {
            const s = net.connect(port, '127.0.0.1')
            socks.add(s)
            const stop = (): void => void s.destroy()
            signal.addEventListener('abort', stop, { once: true })
            s.on('error', () => {})
            s.on('close', () => {
              signal.removeEventListener('abort', stop)
              socks.delete(s)
              if (!signal.aborted) closedByServer++
              resolve()
            })
            // no 'data' listener: the client never reads; it writes until the socket pushes back
            const pump = (): void => {
              while (!s.destroyed && !signal.aborted) {
                sent += 64
                if (!s.write(batch)) return void s.once('drain', pump)
              }
            }
            s.on('connect', pump)
          })
        }
      }
      await Promise.all(Array.from({ length: p.connections }, one))
    }
    await underAttack(out, { tsdns, host: '127.0.0.1', port, name: BYSTANDER_NAME },
      attack, { durationMs: p.durationMs })
    const writeQueue = await shed(mport, 'tcp_write_queue')
    out.set({ records: p.records, connections: p.connections, queriesWritten: sent,
      closedByServer, shedWriteQueue: writeQueue, shedMemory: await shed(mport, 'tcp_memory') })
    out.expect(writeQueue > 0, 'no connection ever stopped reading at its write queue bound')
  } finally {
    for (const s of socks) s.destroy()
    await tsdns?.stop()
  }
  return out
}

export interface SlotParams {
  /** More than the table holds (1024). */
  readonly connections: number
  /** Source addresses they come from (127.0.0.2 on), none the bystander's 127.0.0.1. */
  readonly sources: number
  /** Each connection asks one cached name this often, reading the answer. */
  readonly everyMs: number
  readonly durationMs: number
}

/**
 * More connections than the table holds, each asking now and then and reconnecting when evicted:
 * newcomers (the bystander's) still get in.
 */
export async function slotHog(p: SlotParams): Promise<Outcome> {
  const out = new Outcome('tcp-slot-hog')
  let tsdns: Tsdns | undefined
  const socks = new Set<net.Socket>()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns({ corefile: corefile(port, mport, 1), nodeArgs: IMAGE_HEAP_FLAGS })
    const query = framed(buildQuery('hog.tcp.test'))
    let opened = 0
    let evicted = 0
    let answers = 0
    const open = (i: number): Promise<void> => new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${2 + (i % p.sources)}` })
      socks.add(s)
      s.on('connect', () => {
        opened++
        s.write(query)
        resolve()
      })
      s.on('data', () => void answers++)
      s.on('error', () => resolve())
      s.on('close', () => {
        resolve()
        if (!socks.delete(s) || stopped) return
        // evicted: back at once, as a persistent attacker would (bounded by the attack's end)
        evicted++
        setTimeout(() => void (stopped || open(i)), 100)
      })
    })
    // in batches the listen backlog holds
    for (let i = 0; i < p.connections; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, p.connections - i) }, (_, k) => open(i + k)))
    }
    // every connection still open asks again now and then: none is ever idle for its deadline
    timer = setInterval(() => {
      for (const s of socks) if (!s.destroyed) s.write(query)
    }, p.everyMs)
    await underAttack(out, { tsdns, host: '127.0.0.1', port, name: BYSTANDER_NAME },
      (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
      { durationMs: p.durationMs })
    // what tsdns holds: the clients' own count also has connections still being accepted (each
    // evicting one) and evicted ones whose close is not yet read, so it may pass 1,024 briefly
    let held = 0
    for (let j = 0; j < p.sources; j++) held += connectionsFrom(tsdns.pid, `127.0.0.${2 + j}`)
    stopped = true
    const shedTotal = await shed(mport, 'tcp_conns_total')
    out.set({ connections: p.connections, sources: p.sources, opened, evicted,
      openAtEnd: socks.size, heldByTsdns: held, attackerAnswers: answers, shedTotal,
      shedPerSource: await shed(mport, 'tcp_conns_per_source') })
    out.expect(held <= 1024, `tsdns holds ${held} attacker connections (table 1024)`)
    out.expect(shedTotal >= p.connections - 1024, `${shedTotal} evictions from a full table`)
  } finally {
    stopped = true
    clearInterval(timer)
    for (const s of socks) s.destroy()
    await tsdns?.stop()
  }
  return out
}

export interface EmptyFrameParams {
  readonly connections: number
  /** One `\x00\x00` per connection this often: well inside every deadline. */
  readonly everyMs: number
}

/** Connections that ask once, then send only empty frames: closed at the idle deadline. */
export async function emptyFrames(p: EmptyFrameParams): Promise<Outcome> {
  const out = new Outcome('tcp-empty-frames')
  let tsdns: Tsdns | undefined
  const socks: net.Socket[] = []
  let timer: NodeJS.Timeout | undefined
  const readS = 1
  const idleS = 2
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    tsdns = await startTsdns({ corefile: corefile(port, mport, 1, `timeouts {\n    read ${readS}s\n    idle ${idleS}s\n  }`), nodeArgs: IMAGE_HEAP_FLAGS })
    const t0 = performance.now()
    const closedAt: number[] = []
    await Promise.all(Array.from({ length: p.connections }, (_, i) => new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        // half ask once first (the idle deadline), half never ask (the first-read deadline)
        if (i % 2 === 0) s.write(framed(buildQuery('keepalive.tcp.test')))
        resolve()
      })
      s.on('error', () => resolve())
      s.on('close', () => closedAt.push(performance.now() - t0))
      socks.push(s)
    })))
    const empty = Buffer.from([0, 0])
    timer = setInterval(() => {
      for (const s of socks) if (!s.destroyed) s.write(empty)
    }, p.everyMs)
    await underAttack(out, { tsdns, host: '127.0.0.1', port, name: BYSTANDER_NAME },
      async (signal) => {
        for (let i = 0; i < 100 && !signal.aborted && closedAt.length < p.connections; i++) await sleep(100)
      }, { durationMs: (idleS + 3) * 1000 })
    const last = closedAt.length === 0 ? NaN : Math.max(...closedAt)
    const counted = await shed(mport, 'tcp_empty_frame')
    out.set({ connections: p.connections, closedByServer: closedAt.length,
      lastCloseMs: Math.round(last), shedEmptyFrame: counted })
    out.expect(closedAt.length === p.connections,
      `${p.connections - closedAt.length} empty-frame connections still open after ${idleS + 3} s`)
    out.expect(last < (idleS + 2) * 1000, `the last one closed after ${Math.round(last)} ms`)
    out.expect(counted > 0, 'no empty frame counted in tsdns_shed_total')
  } finally {
    clearInterval(timer)
    for (const s of socks) s.destroy()
    await tsdns?.stop()
  }
  return out
}
