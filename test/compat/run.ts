// `npm run compat [-- --coredns PATH] [--only REGEX] [--record-oneline]`: every Corefile of the
// project (sources.ts) run by CoreDNS and by tsdns side by side on loopback ports, the same
// queries sent to both, and every difference printed: exit code (both start or both fail),
// rcode, flags, RRsets and TTLs, GET /health, metric families and labels. Not part of npm test.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { answer, buildQuery, fakeUpstream, freePort, nxdomain, udpQuery } from '../helpers/index.ts'
import { compareMetrics, compareReplies } from './compare.ts'
import { corednsBin, startOrFail, stop, type Outcome } from './coredns.ts'
import { tsdnsOnly } from './expected.ts'
import { recordOneline } from './record-oneline.ts'
import { rewrite, type Rewritten } from './rewrite.ts'
import { allSources, type Source } from './sources.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const TSDNS = [process.execPath, '--disable-sigusr1', join(ROOT, 'src/cli/main.ts')]
const START_MS = 10_000
const MAX_QUERIES = 24

interface Query {
  readonly name: string
  readonly type: 'A' | 'AAAA' | 'MX' | 'TXT'
}

/** Names under the keys of the Corefile's server blocks, and a few everyone answers. */
function queriesFor(text: string): Query[] {
  const names = new Set(['example.org.', 'a.example.', 'www.example.org.', 'nx.example.org.'])
  for (const m of text.matchAll(/^(?:\s*\S+:\/\/)?([a-z0-9.-]+\.?)(?::\d+)?(?:,| |\{|$)/gim)) {
    const zone = m[1]!.replace(/\.?$/, '.')
    if (zone === '.' || !/[a-z]/i.test(zone)) continue
    names.add(zone)
    names.add(`www.${zone}`)
  }
  const out: Query[] = []
  for (const name of names) for (const type of ['A', 'AAAA', 'MX'] as const) out.push({ name, type })
  return out.slice(0, MAX_QUERIES)
}

interface Side {
  readonly outcome: Outcome
  readonly child?: Awaited<ReturnType<typeof startOrFail>>['child']
  readonly conf: Rewritten
  readonly port: number
}

async function start(cmd: string[], ready: RegExp, source: Source, upstream: string, dir: string): Promise<Side> {
  const port = await freePort('udp')
  const conf = await rewrite(source.text, { dns: port, http: () => freePort('tcp'), upstream })
  const file = join(dir, `${ready.source.replace(/\W/g, '')}.Corefile`)
  writeFileSync(file, conf.text)
  // the realworld fixtures take their port from {$PORT}
  const env = { PORT: String(port) }
  const args = [...cmd.slice(1), '-conf', file, '-dns.port', String(port)]
  const { outcome, child } = await startOrFail(cmd[0]!, args, ready, START_MS, source.dir, env)
  return { outcome, child, conf, port }
}

async function get(addr: string | undefined, path: string): Promise<string> {
  if (!addr) return 'none'
  try {
    const res = await fetch(`http://${addr}${path}`, { signal: AbortSignal.timeout(3000) })
    return `${res.status} ${path === '/metrics' ? await res.text() : (await res.text()).trim()}`
  } catch (err) {
    return `error ${(err as Error).message}`
  }
}

interface Compared {
  readonly queries: number
  /** Queries neither server answered. */
  readonly silent: number
  readonly diffs: string[]
  /** Why neither started: CoreDNS's error (the Corefile is wrong for both). */
  readonly bothFail?: string
  /** CoreDNS refused a tsdns-only feature: the README that says so. */
  readonly tsdnsOnly?: string
}

async function compareOne(source: Source, bin: string, upstream: string): Promise<Compared> {
  const dir = mkdtempSync(join(tmpdir(), 'compat-'))
  const [a, b] = [
    await start([bin], /CoreDNS-/, source, upstream, dir),
    await start(TSDNS, /tsdns-/, source, upstream, dir),
  ]
  const diffs: string[] = []
  let queries = 0
  let silent = 0
  try {
    const only = tsdnsOnly(source.text)
    if (!a.outcome.started && b.outcome.started && only) return { queries, silent, diffs, tsdnsOnly: only }
    if (!a.outcome.started && !b.outcome.started) return { queries, silent, diffs, bothFail: a.outcome.message }
    if (a.outcome.started !== b.outcome.started) {
      const say = (s: Side) => (s.outcome.started ? 'starts' : `fails: ${s.outcome.message}`)
      diffs.push(`exit: CoreDNS ${say(a)}; tsdns ${say(b)}`)
      return { queries, silent, diffs }
    }
    for (const q of queriesFor(source.text)) {
      const msg = buildQuery(q.name, q.type, { edns: true })
      // unconnected: a server that died meanwhile is a missing answer, not an ICMP error
      const ask = (port: number) =>
        udpQuery('127.0.0.1', port, msg, { timeoutMs: 3000, connect: false }).catch(() => undefined)
      const [ra, rb] = await Promise.all([ask(a.port), ask(b.port)])
      queries++
      if (!ra && !rb) silent++
      for (const d of compareReplies(ra, rb)) diffs.push(`${q.name} ${q.type}: ${d}`)
    }
    const [ha, hb] = await Promise.all([get(a.conf.health[0], '/health'), get(b.conf.health[0], '/health')])
    if (ha !== hb) diffs.push(`GET /health: ${ha} vs ${hb}`)
    const [ma, mb] = await Promise.all([get(a.conf.metrics[0], '/metrics'), get(b.conf.metrics[0], '/metrics')])
    diffs.push(...compareMetrics(ma, mb))
    return { queries, silent, diffs }
  } finally {
    await Promise.all([stop(a.child), stop(b.child)])
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const bin = corednsBin()
  if (process.argv.includes('--record-oneline')) return recordOneline(await freePort('udp'))
  const i = process.argv.indexOf('--only')
  const only = i === -1 ? undefined : new RegExp(process.argv[i + 1]!)
  const up = await fakeUpstream((q) =>
    q.name.startsWith('nx.') ? nxdomain(q)
    : q.type === 'A' ? answer(q, [`${q.name} 300 IN A 192.0.2.53`])
    : q.type === 'AAAA' ? answer(q, [`${q.name} 300 IN AAAA 2001:db8::53`])
    : answer(q, []),
  )
  const sources = allSources().filter((s) => !only || only.test(s.name))
  let queries = 0
  const all: [string, Compared][] = []
  for (const source of sources) {
    const r = await compareOne(source, bin, up.addr)
    queries += r.queries
    all.push([source.name, r])
    const unanswered = r.silent > 0 ? `, ${r.silent} unanswered by both` : ''
    const line =
      r.tsdnsOnly ? `tsdns-only  ${source.name}: CoreDNS refuses it (${r.tsdnsOnly})`
      : r.bothFail !== undefined ? `both fail  ${source.name}: ${r.bothFail}`
      : `${r.diffs.length === 0 ? 'same' : `${r.diffs.length} diff`}  ${source.name} (${r.queries} queries${unanswered})`
    process.stdout.write(`${line}\n`)
    for (const d of r.diffs) process.stdout.write(`      ${d}\n`)
  }
  await up.close()
  const differing = all.filter(([, r]) => r.diffs.length > 0)
  const count = differing.reduce((n, [, r]) => n + r.diffs.length, 0)
  const both = all.filter(([, r]) => r.bothFail !== undefined).length
  const expected = all.filter(([, r]) => r.tsdnsOnly).length
  process.stdout.write(
    `\n${sources.length} Corefiles (${both} fail in both, ${expected} tsdns-only), ${queries} queries compared, ` +
      `${count} differences in ${differing.length} Corefiles\n`,
  )
  for (const [name, r] of differing) process.stdout.write(`  ${name}: ${r.diffs.length}\n`)
}

await main()
