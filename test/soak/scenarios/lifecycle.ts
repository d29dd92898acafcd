// Lifecycle under load: ten reloads (SIGUSR1, each with a changed Corefile) without an
// unanswered query; SIGTERM with lameduck, alone (every query sent during the lameduck is
// answered) and as one of a reusePort pair (the other takes over, nothing is lost); and a crash
// (SIGKILL) followed by a restart on the same files and ports, which must start clean; and a
// reload whose new listener cannot be bound, which must change nothing.

import { readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { answer, buildQuery, fakeUpstream, freePort, IMAGE_HEAP_FLAGS, rcodeName, sleep, slow,
  spawnChild, startTsdns, startUnbound, tcpQuery, TSDNS_MAIN, udpQuery } from '../../helpers/index.ts'
import type { Tsdns, Unbound } from '../../helpers/index.ts'
import { underAttack } from '../lib/attack.ts'
import { runLoad, summarize } from '../lib/load.ts'
import { metric } from '../lib/proc.ts'
import { Outcome } from '../lib/outcome.ts'

export interface LifecycleParams {
  readonly rate: number
  readonly reloads: number
  /** Time between reloads (ms). */
  readonly reloadEveryMs: number
}

const upstream = (): Promise<Unbound> => startUnbound({
  zones: [{ name: 'life.test', type: 'redirect' }],
  records: ['life.test. 300 IN A 192.0.2.10'],
})

const corefile = (port: number, up: Unbound, extra: string, ttl = 30): string => `
.:${port} {
  ${extra}
  cache ${ttl}
  forward . ${up.host}:${up.port}
}
`

/** Half the names repeat (cache hits), half are new (upstream). */
const mixed = (tag: string) => (i: number): Uint8Array =>
  buildQuery(i % 2 === 0 ? `hot${i % 50}.life.test` : `${tag}${i}.life.test`, 'A')

export async function reloadUnderLoad(p: LifecycleParams): Promise<Outcome> {
  const out = new Outcome('lifecycle-reload')
  const up = await upstream()
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    const mport = await freePort('tcp')
    // reload logs the hash of each configuration it starts (its interval is far beyond this test)
    const prom = `prometheus 127.0.0.1:${mport}\n  reload 1h`
    tsdns = await startTsdns(corefile(port, up, prom))
    let reloads = 0
    let nextAt = p.reloadEveryMs
    let tcpLost = 0
    let tcpSent = 0
    const res = await runLoad({
      host: '127.0.0.1', port, rate: p.rate, durationMs: (p.reloads + 1) * p.reloadEveryMs,
      query: mixed('r'),
      onTick: (t) => {
        if (t < nextAt || reloads >= p.reloads) return
        nextAt += p.reloadEveryMs
        reloads++
        // a real change each time: the cache TTL alternates
        writeFileSync(tsdns!.confPath, corefile(port, up, prom, 30 + (reloads % 2)))
        tsdns!.proc.kill('SIGUSR1')
        // TCP beside the UDP load: a query on a new connection right at the reload
        tcpSent++
        void tcpQuery('127.0.0.1', port, buildQuery(`tcp${reloads}.life.test`, 'A'))
          .then((r) => void (r === undefined && tcpLost++), () => void tcpLost++)
      },
    })
    await sleep(300)
    const hashes = loggedHashes(tsdns)
    const s = summarize(res)
    out.set({ reloads, configsSeen: hashes.size, queries: s.sent, lost: s.lost,
      noerror: s.byRcode.NOERROR ?? 0, p99Ms: s.p99Ms, maxMs: s.maxMs, tcpSent, tcpLost })
    out.expect(reloads === p.reloads, `${reloads} reloads`)
    // two configurations alternate: both seen means the reloads took effect
    out.expect(hashes.size === 2, `${hashes.size} configuration hashes seen`)
    out.expect(s.lost === 0 && tcpLost === 0, `${s.lost} UDP and ${tcpLost} TCP queries lost`)
    out.expect(s.byRcode.NOERROR === s.sent, `rcodes ${JSON.stringify(s.byRcode)}`)
    out.expect(tsdns.status() === undefined, 'tsdns exited')
  } finally {
    await tsdns?.stop()
    await up.stop()
  }
  return out
}

/** The configurations started: coredns_reload_version_info, as CoreDNS's, ignores SIGUSR1. */
function loggedHashes(t: Tsdns): Set<string> {
  const running = t.stdout().map((l) => /Running configuration SHA512 = ([0-9a-f]+)/.exec(l)?.[1])
  return new Set(running.filter((h) => h !== undefined))
}

export interface TermParams {
  readonly rate: number
  readonly lameduckMs: number
}

const health = (port: number, lameduckMs: number): string =>
  `health 127.0.0.1:${port} {\n    lameduck ${lameduckMs}ms\n  }`

/** SIGTERM in the middle of the load, which stops before the lameduck ends: all answered. */
export async function sigtermAlone(p: TermParams): Promise<Outcome> {
  const out = new Outcome('lifecycle-sigterm-alone')
  const up = await upstream()
  let tsdns: Tsdns | undefined
  try {
    const port = await freePort('both')
    tsdns = await startTsdns(corefile(port, up, health(await freePort('tcp'), p.lameduckMs)))
    const alone = tsdns
    let exit: Promise<number | null> | undefined
    const s = summarize(await runLoad({
      host: '127.0.0.1', port, rate: p.rate, durationMs: 1000 + p.lameduckMs * 0.8,
      query: mixed('a'),
      onTick: (t) => void (t >= 1000 && (exit ??= alone.stop('SIGTERM', 10_000))),
    }))
    const code = await exit
    out.set({ queries: s.sent, lost: s.lost, p99Ms: s.p99Ms, exit: String(code) })
    out.expect(code === 0, `exit code ${code}`)
    out.expect(s.lost === 0, `${s.lost} of ${s.sent} queries lost in the lameduck`)
  } finally {
    await tsdns?.stop()
    await up.stop()
  }
  return out
}

export interface PairParams extends TermParams {
  /** The upstream answers after this long (forwarded queries still in flight at the close). */
  readonly upstreamDelayMs: number
  /** Only names the cache holds (answered at once), or half of them new (forwarded). */
  readonly cachedOnly: boolean
}

/**
 * Two processes on one address (reusePort); SIGTERM one of them under load that runs on past
 * its close: the survivor takes the new queries, the leaving one answers what it took.
 */
export async function sigtermPair(p: PairParams): Promise<Outcome> {
  const out = new Outcome(`lifecycle-sigterm-pair-${p.cachedOnly ? 'cached' : 'forwarded'}`)
  const up = await fakeUpstream((q) => slow(p.upstreamDelayMs,
    answer(q, [{ name: q.name, type: 'A', ttl: 300, data: '192.0.2.10' }])))
  const started: Tsdns[] = []
  try {
    const port = await freePort('both')
    const text = async (): Promise<string> => `
.:${port} {
  ${health(await freePort('tcp'), p.lameduckMs)}
  cache 300
  forward . ${up.addr}
}
`
    const a = await startTsdns(await text())
    const b = await startTsdns(await text())
    started.push(a, b)
    const hot = (i: number): Uint8Array => buildQuery(`hot${i % 50}.life.test`, 'A')
    // both caches hold the hot names (the kernel spreads the senders' ports over the pair)
    await runLoad({ host: '127.0.0.1', port, rate: 1000, durationMs: 500, query: hot })
    let exitA: Promise<number | null> | undefined
    let stopMs = 0 // SIGTERM to exit: the lameduck, then the close waiting for what it took
    const stopA = async (): Promise<number | null> => {
      const t0 = performance.now()
      const code = await a.stop('SIGTERM', 10_000)
      stopMs = Math.round(performance.now() - t0)
      return code
    }
    const s = summarize(await runLoad({
      host: '127.0.0.1', port, rate: p.rate, durationMs: 2000 + p.lameduckMs, window: 4096,
      query: p.cachedOnly ? hot : mixed('p'),
      onTick: (t) => void (t >= 1000 && (exitA ??= stopA())),
    }))
    const code = await exitA
    out.set({ queries: s.sent, lost: s.lost, p99Ms: s.p99Ms, maxMs: s.maxMs,
      upstreamDelayMs: p.upstreamDelayMs, exit: String(code), stopMs })
    out.expect(code === 0, `exit code ${code}`)
    out.expect(s.lost === 0, `${s.lost} of ${s.sent} queries lost`)
  } finally {
    for (const t of started) await t.stop()
    await up.close()
  }
  return out
}

/**
 * SIGKILL under load, then the same command again: same Corefile, pid file and ports. It must
 * start at once, overwrite the stale pid file, answer, and report fresh counters and an empty
 * cache.
 */
export async function crashRestart(rate: number): Promise<Outcome> {
  const out = new Outcome('lifecycle-crash-restart')
  const up = await upstream()
  let first: Tsdns | undefined
  let second: ReturnType<typeof spawnChild> | undefined
  try {
    const port = await freePort('both')
    const [mport, hport] = await Promise.all([freePort('tcp'), freePort('tcp')])
    const extra = `prometheus 127.0.0.1:${mport}\n  health 127.0.0.1:${hport}`
    first = await startTsdns(corefile(port, up, extra))
    const crashed = first
    const stalePid = readFileSync(crashed.pidPath, 'utf8').trim()
    await runLoad({
      // what the crash swallowed is lost: no point in waiting long for it
      host: '127.0.0.1', port, rate, durationMs: 1000, timeoutMs: 500, query: mixed('c'),
      onTick: (t) => {
        if (t >= 500 && crashed.status() === undefined) crashed.proc.kill('SIGKILL')
      },
    })
    await crashed.child.waitExit(5000)
    const t0 = performance.now()
    second = spawnChild('tsdns', process.execPath,
      [TSDNS_MAIN, '-conf', crashed.confPath, '-pidfile', crashed.pidPath], { cwd: crashed.dir })
    const newPid = String(second.proc.pid)
    for (let i = 0; i < 200 && readPid(crashed.pidPath) !== newPid; i++) {
      if (second.status()) break
      await sleep(25)
    }
    const restartMs = Math.round(performance.now() - t0)
    out.expect(readPid(crashed.pidPath) === newPid,
      `the restart did not write its pid file (stale ${stalePid}): ${second.tail(10)}`)
    const entriesAtStart = await metric(`127.0.0.1:${mport}`, 'coredns_cache_entries')
    const requestsAtStart = await metric(`127.0.0.1:${mport}`, 'coredns_dns_requests_total')
    const r = await udpQuery('127.0.0.1', port, buildQuery('hot1.life.test', 'A'))
    const healthy = await fetch(`http://127.0.0.1:${hport}/health`).then((x) => x.status, () => 0)
    const after = summarize(await runLoad({
      host: '127.0.0.1', port, rate, durationMs: 1000, query: mixed('d'),
    }))
    out.set({ restartMs, stalePidReplaced: readPid(crashed.pidPath) === newPid,
      cacheEntriesAtStart: entriesAtStart, requestsAtStart, healthAfter: healthy,
      queriesAfter: after.sent, lostAfter: after.lost })
    out.expect(r !== undefined && rcodeName(r) === 'NOERROR', 'no answer after the restart')
    out.expect(entriesAtStart === 0 && requestsAtStart === 0,
      `state carried over: ${entriesAtStart} cache entries, ${requestsAtStart} requests`)
    out.expect(healthy === 200, `/health answered ${healthy}`)
    out.expect(after.lost === 0, `${after.lost} queries lost after the restart`)
  } finally {
    await second?.stop('SIGTERM', 5000)
    await first?.stop()
    await up.stop()
  }
  return out
}

function readPid(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return ''
  }
}

export interface BindFailParams {
  /** SIGUSR1 reloads with the taken port, one after another. */
  readonly signals: number
  /** Time between them (ms). */
  readonly everyMs: number
}

/**
 * A reload whose new metrics port is taken (issue 14 item 10): nothing of it applies. The old
 * configuration keeps all its listeners (DNS, metrics, health) and answers, the taken port stays
 * another process's, the reload plugin counts the failure once and SIGUSR1 logs each one. Before:
 * the old metrics port closed, nothing was bound, and no failure was counted.
 */
export async function reloadBindFails(p: BindFailParams): Promise<Outcome> {
  const out = new Outcome('lifecycle-reload-bind-fails')
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const taken = (blocker.address() as net.AddressInfo).port
  let tsdns: Tsdns | undefined
  try {
    const [port, mport, hport] = [await freePort('both'), await freePort('tcp'),
      await freePort('tcp')]
    const conf = (metrics: number, zone: string): string => `.:${port} {
  prometheus 127.0.0.1:${metrics}
  health 127.0.0.1:${hport}
  reload 2s 1s
  template IN A ${zone} {
    answer "{{ .Name }} 60 IN A 192.0.2.1"
  }
}
`
    tsdns = await startTsdns({ corefile: conf(mport, 'bystander.test'), nodeArgs: IMAGE_HEAP_FLAGS })
    const t = tsdns
    let scrapesFailed = 0
    await underAttack(out, { tsdns: t, host: '127.0.0.1', port, name: 'bystander.test.' },
      async (signal) => {
        // the same zone, so the bystander's name is answered whichever configuration serves
        writeFileSync(t.confPath, conf(taken, 'bystander.test'))
        for (let i = 0; i < p.signals && !signal.aborted; i++) {
          t.proc.kill('SIGUSR1')
          await sleep(p.everyMs)
          const ok = await fetch(`http://127.0.0.1:${mport}/metrics`,
            { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)
          if (!ok) scrapesFailed++
        }
        // the reload plugin's own check (every 2 s +- 0.5 s) counts it
        for (let i = 0; i < 40 && !signal.aborted; i++) {
          if (await metric(`127.0.0.1:${mport}`, 'coredns_reload_failed_total') >= 1) break
          await sleep(100)
        }
      }, { durationMs: 15_000 })
    const failed = await metric(`127.0.0.1:${mport}`, 'coredns_reload_failed_total')
    // SIGUSR1's own line: the reload plugin's failure logs caddy's "Restart failed" too
    const restarts = t.stdout()
      .filter((l) => l.includes('[ERROR] SIGUSR1: starting with listener file descriptors: cannot listen'))
      .length
    const health = await fetch(`http://127.0.0.1:${hport}/health`).then((r) => r.status, () => 0)
    out.set({ signals: p.signals, restartsFailed: restarts, reloadFailedTotal: failed,
      scrapesFailed, healthStatus: health })
    out.expect(restarts === p.signals, `${restarts} of ${p.signals} SIGUSR1 reloads logged as failed`)
    out.expect(failed === 1, `coredns_reload_failed_total ${failed}, want 1 (the plugin counts a file once)`)
    out.expect(scrapesFailed === 0, `the old metrics port failed ${scrapesFailed} scrapes`)
    out.expect(health === 200, `the old health port answered ${health}`)
  } finally {
    await tsdns?.stop()
    blocker.close()
  }
  return out
}
