// The process itself as an attacker on the node reaches it (issue 14 items 1 and 7). SIGUSR1 sent
// every few ms from the moment Node takes the signal over: tsdns starts, serves, and no inspector
// listens (a bare `node` opened 127.0.0.1:9229 in every start). stdout closed by its reader (as
// `tsdns | head -c 200` does), then queries with query logging on: tsdns answers and counts the
// lines it could not write (it died of EPIPE). stdout a pipe nobody reads, under a query flood
// with query logging on: a bystander is still answered within 1 s and memory stays bounded.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildQuery, freePort, IMAGE_HEAP_FLAGS, makeTempDir, removeTempDir, sleep, spawnChild,
  startTsdns, TSDNS_MAIN, udpQuery } from '../../helpers/index.ts'
import type { Tsdns } from '../../helpers/index.ts'
import { underAttack } from '../lib/attack.ts'
import { runLoad } from '../lib/load.ts'
import { metric, tcpSockets } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'

/** What every launcher passes Node (test/manifests.test.ts checks them). */
export const NODE_FLAGS = ['--disable-sigusr1'] as const
const INSPECTOR_PORT = 9229
const SIGUSR1_BIT = 1n << 9n

/**
 * Whether Node in `pid` has taken SIGUSR1 over (blocked, caught or ignored it). Before that the
 * kernel's default action, terminate, applies to it as to any process just exec'd: no code of its
 * own can have run yet, so a test can only start signalling from here.
 */
function usr1Taken(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const mask = (k: string) => BigInt(`0x${new RegExp(`^${k}:\\s*(\\w+)`, 'm').exec(status)?.[1] ?? '0'}`)
    return ((mask('SigBlk') | mask('SigCgt') | mask('SigIgn')) & SIGUSR1_BIT) !== 0n
  } catch {
    return false
  }
}

/** Whether `pid` holds a listening TCP socket on `port`. */
function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  return tcpSockets(pid).some((s) => s.state === '0A' && s.local.endsWith(`:${hexPort}`))
}

export interface StormParams {
  readonly starts: number
  /** A SIGUSR1 this often (ms) ... */
  readonly everyMs: number
  /** ... for this long after Node took the signal over (ms). */
  readonly forMs: number
  /** `serve`: a server that must come up and answer; `check`: `tsdns check`, which must exit 0. */
  readonly command: 'serve' | 'check'
}

/** SIGUSR1 from the moment Node takes it over, `starts` times: no death, no inspector. */
export async function sigusr1Storm(p: StormParams): Promise<Outcome> {
  const out = new Outcome(`sigusr1-storm-${p.command}`)
  const fig = { starts: 0, signals: 0, died: 0, inspectorOpen: 0, unanswered: 0, failedChecks: 0 }
  for (let i = 0; i < p.starts; i++) {
    const dir = makeTempDir('tsdns-usr1')
    try {
      const port = await freePort('both')
      const conf = join(dir, 'Corefile')
      const pidfile = join(dir, 'pid')
      writeFileSync(conf, `.:${port} {\n  bind 127.0.0.1\n  whoami\n}\n`)
      const args = p.command === 'serve' ? ['-conf', conf, '-pidfile', pidfile, '-quiet'] : ['check', conf]
      const child = spawnChild('tsdns', process.execPath, [...NODE_FLAGS, TSDNS_MAIN, ...args], { cwd: dir })
      const pid = child.proc.pid!
      for (let t0 = Date.now(); !usr1Taken(pid) && !child.status() && Date.now() - t0 < 2000;) await sleep(0)
      fig.starts++
      let open = false
      for (let t0 = Date.now(); Date.now() - t0 < p.forMs && !child.status();) {
        try {
          process.kill(pid, 'SIGUSR1')
          fig.signals++
        } catch { /* exited between the check and the kill */ }
        open ||= fig.signals % 10 === 0 && listensOn(pid, INSPECTOR_PORT)
        await sleep(p.everyMs)
      }
      if (p.command === 'check') {
        const st = await child.waitExit(10_000)
        if (st?.code !== 0) fig.failedChecks++
        if (st?.signal) fig.died++
        continue
      }
      for (let t0 = Date.now(); !existsSync(pidfile) && !child.status() && Date.now() - t0 < 10_000;) await sleep(20)
      open ||= listensOn(pid, INSPECTOR_PORT)
      if (open) fig.inspectorOpen++
      if (child.status()) fig.died++
      else if (!await udpQuery('127.0.0.1', port, buildQuery('storm.example.'), { timeoutMs: 2000 })) fig.unanswered++
      const st = await child.stop('SIGTERM', 5000)
      if (st.code !== 0 && !fig.died) fig.died++
    } finally {
      removeTempDir(dir)
    }
  }
  out.set(fig)
  out.expect(fig.starts === p.starts, `${p.starts - fig.starts} starts never took SIGUSR1 over`)
  out.expect(fig.died === 0, `${fig.died} of ${fig.starts} starts died`)
  out.expect(fig.inspectorOpen === 0, `an inspector listened on ${INSPECTOR_PORT} in ${fig.inspectorOpen} starts`)
  out.expect(fig.unanswered === 0, `${fig.unanswered} started servers did not answer`)
  out.expect(fig.failedChecks === 0, `${fig.failedChecks} checks did not exit 0`)
  return out
}

/** A Corefile answering every name (whoami) with query logging on, and its metrics address. */
async function loggingServer(): Promise<{ tsdns: Tsdns; port: number; metrics: string }> {
  const port = await freePort('both')
  const mport = await freePort('tcp')
  const tsdns = await startTsdns({
    nodeArgs: IMAGE_HEAP_FLAGS,
    corefile: `.:${port} {\n  bind 127.0.0.1\n  log\n  prometheus 127.0.0.1:${mport}\n  whoami\n}\n`,
  })
  return { tsdns, port, metrics: `127.0.0.1:${mport}` }
}

const droppedLines = (metrics: string) => metric(metrics, 'tsdns_shed_total', { bound: 'log_lines' })

/** stdout closed by its reader, then `queries` queries, each logged: all answered, lines counted. */
export async function stdoutClosed(queries: number): Promise<Outcome> {
  const out = new Outcome('stdout-closed')
  const { tsdns, port, metrics } = await loggingServer()
  try {
    tsdns.proc.stdout!.destroy() // the reader goes, as `| head -c 200` does once it has its bytes
    let answered = 0
    for (let i = 0; i < queries; i++) {
      if (await udpQuery('127.0.0.1', port, buildQuery(`q${i}.closed.example.`), { timeoutMs: 1000 })) answered++
    }
    await sleep(100) // the last batch's write fails after its reply went out
    const alive = tsdns.status() === undefined
    const dropped = alive ? await droppedLines(metrics) : NaN
    out.set({ queries, answered, droppedLines: dropped, alive })
    out.expect(alive, `tsdns exited: ${JSON.stringify(tsdns.status())} ${tsdns.stderr().slice(-3).join(' ')}`)
    out.expect(answered === queries, `${queries - answered} of ${queries} queries unanswered`)
    out.expect(dropped >= queries, `${dropped} log lines counted as dropped, ${queries} queries logged`)
  } finally {
    await tsdns.stop()
  }
  return out
}

export interface StalledParams {
  readonly durationMs: number
  /** At least this many log lines must have been dropped (0 when the flood is too short to fill
   *  the 4 MiB backlog of src/plugin/output.ts). */
  readonly minDropped: number
}

/** stdout a pipe nobody reads, a logged query flood: a bystander is served, memory bounded. */
export async function stalledReader(p: StalledParams): Promise<Outcome> {
  const out = new Outcome('stdout-stalled-reader')
  const { tsdns, port, metrics } = await loggingServer()
  try {
    tsdns.proc.stdout!.pause() // read no more: the pipe fills, then tsdns's own backlog
    let flood = { sent: 0, answered: 0 }
    await underAttack(out, { tsdns, host: '127.0.0.1', port, name: 'bystander.example.' }, async () => {
      const res = await runLoad({ host: '127.0.0.1', port, durationMs: p.durationMs, window: 256,
        timeoutMs: 2000, query: (i) => buildQuery(`f${i.toString(36)}.flood.example.`) })
      let answered = 0
      for (let i = 0; i < res.sent; i++) if (res.rcode[i]! >= 0) answered++
      flood = { sent: res.sent, answered }
    }, { durationMs: p.durationMs + 1000 })
    const dropped = tsdns.status() === undefined ? await droppedLines(metrics) : NaN
    out.set({ floodSent: flood.sent, floodAnswered: flood.answered, droppedLines: dropped })
    out.expect(dropped >= p.minDropped, `${dropped} log lines dropped, expected at least ${p.minDropped}`)
  } finally {
    await tsdns.stop()
  }
  return out
}
