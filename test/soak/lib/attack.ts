// The promise every attack scenario checks (issue 14): while one client attacks, a well-behaved
// client on the same node is still served, memory stays bounded and tsdns stays up.
//
//   const out = new Outcome('tcp-pipeline-no-read')
//   await underAttack(out, { tsdns, host, port, name: 'cached.example.' }, async (signal) => {
//     ... attack until signal.aborted or its own bound ...
//   })
//
// Invariants (defaults from issue 14): RSS at most 64 MiB above the steady state measured before
// the attack; each bystander query, UDP and TCP, answered within 1 s; the process alive at the end.

import { buildQuery, sleep, tcpQuery, udpQuery } from '../../helpers/index.ts'
import type { Tsdns } from '../../helpers/index.ts'
import { rssMiB } from './proc.ts'
import type { Outcome } from './outcome.ts'

export interface Target {
  readonly tsdns: Tsdns
  /** Where the bystander asks. */
  readonly host: string
  readonly port: number
  /** A name the bystander asks for (answered NOERROR by the Corefile under test). */
  readonly name: string
}

export interface AttackLimits {
  /** RSS growth allowed over the steady state before the attack (MiB). Default 64. */
  readonly rssSlackMiB?: number
  /** Longest a bystander query may take (ms). Default 1000. */
  readonly answerMs?: number
  /** A bystander UDP and TCP query every this many ms. Default 100. */
  readonly everyMs?: number
  /** How long the attack runs at most, then its signal aborts it (ms). Default 3000. */
  readonly durationMs?: number
}

export interface AttackFigures {
  rssBeforeMiB: number
  rssMaxMiB: number
  bystanderUdp: number
  bystanderTcp: number
  bystanderFailed: number
  bystanderMaxMs: number
}

/**
 * Runs `attack` (which should stop when its signal aborts) beside a bystander that asks `name`
 * over UDP and TCP every `everyMs`; records the figures in `out` and breaks its invariants there.
 */
export async function underAttack(out: Outcome, target: Target,
  attack: (signal: AbortSignal) => Promise<void>, limits: AttackLimits = {}): Promise<AttackFigures> {
  const slack = limits.rssSlackMiB ?? 64
  const answerMs = limits.answerMs ?? 1000
  const everyMs = limits.everyMs ?? 100
  const pid = target.tsdns.pid

  // Steady state: the bystander's own traffic first, so what it costs is not counted as growth.
  for (let i = 0; i < 20; i++) await ask(target, answerMs)
  const rssBefore = rssMiB(pid)
  let rssMax = rssBefore
  const ctl = new AbortController()
  const fig = { udp: 0, tcp: 0, failed: 0, maxMs: 0 }
  const failures: string[] = []

  const bystander = (async () => {
    while (!ctl.signal.aborted) {
      const r = await ask(target, answerMs)
      fig.udp += r.udp ? 1 : 0
      fig.tcp += r.tcp ? 1 : 0
      fig.maxMs = Math.max(fig.maxMs, r.ms)
      if (!r.udp || !r.tcp) {
        fig.failed++
        if (failures.length < 3) failures.push(`${r.udp ? '' : 'UDP '}${r.tcp ? '' : 'TCP '}query unanswered within ${answerMs} ms`)
      }
      rssMax = Math.max(rssMax, rssMiB(pid))
      await sleep(everyMs)
    }
  })()
  const timer = setTimeout(() => ctl.abort(), limits.durationMs ?? 3000)
  try {
    await attack(ctl.signal)
  } finally {
    clearTimeout(timer)
    ctl.abort()
    await bystander
  }
  rssMax = Math.max(rssMax, rssMiB(pid))
  const figures: AttackFigures = {
    rssBeforeMiB: rssBefore, rssMaxMiB: rssMax, bystanderUdp: fig.udp, bystanderTcp: fig.tcp,
    bystanderFailed: fig.failed, bystanderMaxMs: Math.round(fig.maxMs),
  }
  out.set({ ...figures })
  out.expect(target.tsdns.status() === undefined, `tsdns exited: ${JSON.stringify(target.tsdns.status())}`)
  out.expect(fig.udp + fig.tcp > 0, 'the bystander asked nothing during the attack')
  out.expect(fig.failed === 0, `bystander: ${fig.failed} rounds failed (${failures.join('; ')})`)
  out.expect(rssMax <= rssBefore + slack,
    `RSS grew ${Math.round(rssMax - rssBefore)} MiB over ${rssBefore} MiB (bound ${slack} MiB)`)
  return figures
}

/** One bystander round: the same name over UDP and over TCP, each within answerMs. */
async function ask(t: Target, answerMs: number): Promise<{ udp: boolean; tcp: boolean; ms: number }> {
  const t0 = performance.now()
  const [udp, tcp] = await Promise.all([
    udpQuery(t.host, t.port, buildQuery(t.name), { timeoutMs: answerMs }).catch(() => undefined),
    tcpQuery(t.host, t.port, buildQuery(t.name), { timeoutMs: answerMs }).catch(() => undefined),
  ])
  return { udp: udp !== undefined, tcp: tcp !== undefined, ms: performance.now() - t0 }
}
