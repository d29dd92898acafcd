// A UDP load generator that keeps every query's fate: when it was sent, when (and with which
// rcode) it was answered, or that it never was. Open loop at a fixed rate, or as fast as a window
// of outstanding queries allows. Replies are matched by socket and ID.

import dgram from 'node:dgram'

export interface LoadOptions {
  readonly host: string
  readonly port: number
  /** Query i's bytes (its ID is overwritten). */
  readonly query: (i: number) => Uint8Array
  /** Stop sending after this long (ms). */
  readonly durationMs: number
  /** Or after this many queries. */
  readonly maxQueries?: number
  /** Queries per second; absent: as fast as `window` allows. */
  readonly rate?: number
  /** Queries outstanding at most (default 256). */
  readonly window?: number
  /** A query unanswered this long counts as lost (default 8000: past forward's 5 s deadline). */
  readonly timeoutMs?: number
  readonly sockets?: number
  /** Called every `tickMs` with the generator's clock (ms since start), e.g. to inject faults. */
  readonly onTick?: (elapsedMs: number) => void
}

export interface LoadResult {
  readonly sent: number
  readonly start: number
  /** Per query: send time and answer time (ms since start; -1 if never), rcode (-1 if lost). */
  readonly sentAt: Float64Array
  readonly doneAt: Float64Array
  readonly rcode: Int16Array
  /** Replies that matched no outstanding query (late, duplicate or foreign). */
  readonly strays: number
  /** Socket errors on send (ECONNREFUSED when nothing listens). */
  readonly sendErrors: number
}

const TICK_MS = 5
const PENDING = 0
const DONE = 1
const EXPIRED = 2

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const max = o.maxQueries ?? Math.ceil((o.rate ?? 100_000) * o.durationMs / 1000) + 1
  const sentAt = new Float64Array(max).fill(-1)
  const doneAt = new Float64Array(max).fill(-1)
  const rcode = new Int16Array(max).fill(-1)
  const state = new Uint8Array(max) // PENDING, DONE or EXPIRED
  const window = o.window ?? 256
  const timeoutMs = o.timeoutMs ?? 8000
  const nsock = o.sockets ?? 4
  const start = performance.now()
  let sent = 0
  let outstanding = 0
  let strays = 0
  let sendErrors = 0
  let stopped = false
  // per socket: ID -> query index (IDs handed out in order, so a slot is free again long after)
  const slots = Array.from({ length: nsock }, () => new Int32Array(65536).fill(-1))
  const nextId = new Uint16Array(nsock)
  const socks = await Promise.all(Array.from({ length: nsock }, (_, s) => open(o, s)))
  let sweepFrom = 0 // queries before it are answered or expired (indices are in send order)

  function open(opts: LoadOptions, s: number): Promise<dgram.Socket> {
    const sock = dgram.createSocket(opts.host.includes(':') ? 'udp6' : 'udp4')
    sock.on('message', (msg) => {
      if (msg.length < 4) return void strays++
      const id = (msg[0]! << 8) | msg[1]!
      const i = slots[s]![id]!
      if (i < 0 || state[i] !== PENDING) return void strays++
      slots[s]![id] = -1
      state[i] = DONE
      doneAt[i] = performance.now() - start
      rcode[i] = msg[3]! & 0xf
      outstanding--
      pump()
    })
    sock.on('error', () => void sendErrors++)
    return new Promise((resolve) => sock.bind(0, opts.host.includes(':') ? '::1' : '127.0.0.1',
      () => {
        try {
          sock.setRecvBufferSize(4 << 20)
        } catch {
          // rmem_max caps it: the default is still usable at lower rates
        }
        resolve(sock)
      }))
  }

  function pump(): void {
    if (stopped) return
    const now = performance.now() - start
    const due = o.rate === undefined ? max : Math.min(max, Math.floor((now * o.rate) / 1000) + 1)
    while (sent < due && outstanding < window && now < o.durationMs) {
      const i = sent++
      const s = i % nsock
      const id = nextId[s]!++
      const old = slots[s]![id]!
      if (old >= 0 && state[old] === PENDING) {
        // the ID is still taken by a query never answered: that one is lost now
        state[old] = EXPIRED
        outstanding--
      }
      slots[s]![id] = i
      const q = Buffer.from(o.query(i))
      q[0] = id >>> 8
      q[1] = id & 0xff
      sentAt[i] = now
      outstanding++
      socks[s]!.send(q, o.port, o.host)
    }
  }

  function sweep(now: number): void {
    while (sweepFrom < sent) {
      const i = sweepFrom
      if (state[i] !== PENDING) {
        sweepFrom++
        continue
      }
      if (now - sentAt[i]! < timeoutMs) break
      state[i] = EXPIRED
      outstanding--
      sweepFrom++
    }
  }

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now() - start
      o.onTick?.(now)
      sweep(now)
      pump()
      const sending = now < o.durationMs && sent < max
      const waiting = outstanding > 0 && now < o.durationMs + timeoutMs
      if (!sending && !waiting) {
        clearInterval(timer)
        resolve()
      }
    }, TICK_MS)
    pump()
  })
  stopped = true
  for (const s of socks) s.close()
  return { sent, start, sentAt, doneAt, rcode, strays, sendErrors }
}

export interface Summary {
  readonly sent: number
  readonly answered: number
  readonly lost: number
  readonly byRcode: Readonly<Record<string, number>>
  readonly qps: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']

/** Counts and latency percentiles of the queries sent in [fromMs, toMs). */
export function summarize(r: LoadResult, fromMs = 0, toMs = Infinity): Summary {
  const lat: number[] = []
  const byRcode: Record<string, number> = {}
  let sent = 0
  let lost = 0
  let first = Infinity
  let last = 0
  for (let i = 0; i < r.sent; i++) {
    const t = r.sentAt[i]!
    if (t < fromMs || t >= toMs) continue
    sent++
    first = Math.min(first, t)
    last = Math.max(last, t)
    if (r.doneAt[i]! < 0) {
      lost++
      continue
    }
    lat.push(r.doneAt[i]! - t)
    const name = RCODE_NAMES[r.rcode[i]!] ?? `RCODE${r.rcode[i]}`
    byRcode[name] = (byRcode[name] ?? 0) + 1
  }
  lat.sort((a, b) => a - b)
  const pct = (p: number): number =>
    round(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0)
  return {
    sent,
    answered: sent - lost,
    lost,
    byRcode,
    qps: Math.round(sent / Math.max(0.001, (last - first) / 1000)),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: round(lat[lat.length - 1] ?? 0),
  }
}

/**
 * Time from `faultMs` until service is normal again: the start of the first 100 ms bucket of
 * sends after which every bucket has at least `share` of its queries answered NOERROR within
 * `fastMs`. -1 if it never recovers within the run.
 */
export function recoveryMs(r: LoadResult, faultMs: number, share = 0.99, fastMs = 1000): number {
  const BUCKET = 100
  const good: number[] = []
  const all: number[] = []
  for (let i = 0; i < r.sent; i++) {
    const t = r.sentAt[i]!
    if (t < faultMs) continue
    const b = Math.floor((t - faultMs) / BUCKET)
    all[b] = (all[b] ?? 0) + 1
    const ok = r.rcode[i] === 0 && r.doneAt[i]! - t <= fastMs
    if (ok) good[b] = (good[b] ?? 0) + 1
  }
  let recovered = -1
  for (let b = all.length - 1; b >= 0; b--) {
    const n = all[b] ?? 0
    if (n > 0 && (good[b] ?? 0) / n < share) break
    recovered = b
  }
  return recovered < 0 ? -1 : recovered * BUCKET
}

export const round = (x: number): number => Math.round(x * 10) / 10
