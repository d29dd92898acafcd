// `tsdns top [-addr HOST:PORT] [-once] [-json] [-window 1m|10m]`: the status plugin's model in a
// terminal, redrawn in place every 2 s like top(1) (q or Ctrl-C quits); -once prints one screen
// (also when stdout is not a terminal), -json the model as served.

import type { BlockModel, Entry, StatusModel, TopList, Window } from '../../plugins/status/model.ts'
import type { UpstreamRow } from '../../plugins/status/upstreams.ts'

export const DEFAULT_ADDR = '127.0.0.1:9154'
const REFRESH_MS = 2000
const TIMEOUT_MS = 3000
/** The model is tens of KiB; a reply past this is not a status page. */
const MAX_BYTES = 8 << 20
const ROWS = 8

export interface TopOptions {
  readonly addr: string
  readonly once: boolean
  readonly json: boolean
  readonly window: '1m' | '10m'
}

/** GET http://addr/status.json: the body, bounded in size and time. */
function fetchModel(addr: string): Promise<string> {
  const http = process.getBuiltinModule('node:http')
  const url = `http://${addr}/status.json`
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_BYTES) req.destroy(new Error(`${url}: reply over ${MAX_BYTES} bytes`))
        else chunks.push(c)
      })
      res.on('end', () => {
        if (res.statusCode === 200) resolve(Buffer.concat(chunks).toString('utf8'))
        else reject(new Error(`${url}: HTTP ${res.statusCode} (is the status plugin in the Corefile?)`))
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${TIMEOUT_MS} ms`)))
    req.on('error', (err) => reject(new Error(`${url}: ${err.message}`)))
  })
}

const num = (n: number | null): string => (n === null ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: 2 }))
const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)}%`)
const fit = (s: string, w: number): string => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w))
const right = (s: string, w: number): string => s.padStart(w)
const approx = (e: Entry): string => (e.error > 0 ? `${num(e.count)}±${num(e.error)}` : num(e.count))

function countOf(list: TopList, key: string): string {
  const e = list.top.find((x) => x.key === key)
  return e === undefined ? '-' : approx(e)
}

function clients(w: Window): string[] {
  const c = w.clients
  const out = [`  ${fit('CLIENT', 40)}${right('QUERIES', 14)}${right('NXDOMAIN', 12)}${right('SERVFAIL', 10)}${right('FORWARDED', 11)}`]
  for (const e of c.queries.top.slice(0, ROWS)) {
    out.push(`  ${fit(e.key, 40)}${right(approx(e), 14)}${right(countOf(c.nxdomain, e.key), 12)}` +
      `${right(countOf(c.servfail, e.key), 10)}${right(countOf(c.forwarded, e.key), 11)}`)
  }
  return out
}

function names(title: string, list: TopList): string[] {
  return [`  ${fit(title, 62)}${right('COUNT', 14)}`,
    ...list.top.slice(0, ROWS).map((e) => `  ${fit(e.key, 62)}${right(approx(e), 14)}`)]
}

function waste(w: Window): string[] {
  if (w.searchPath.clients.length === 0) return ['  search-path waste: none']
  const out = [`  search-path waste: ${num(w.searchPath.wasted)} NXDOMAIN for search-list expansions`,
    `  ${fit('CLIENT', 40)}${right('WASTED', 10)}${right('SHARE', 8)}  NAMES`]
  for (const c of w.searchPath.clients.slice(0, ROWS)) {
    out.push(`  ${fit(c.client, 40)}${right(num(c.wasted), 10)}${right(pct(c.share), 8)}  ${c.names.join(', ')}`)
  }
  out.push(`  fix: ${w.searchPath.clients[0]!.fix}`)
  return out
}

function block(b: BlockModel, win: '1m' | '10m'): string[] {
  const w = b.windows[win]
  const rcodes = Object.entries(w.rcodes).map(([k, v]) => `${k} ${num(v)}`).join('  ') || 'no answers'
  return [
    `${b.server} ${b.zones.join(' ')}`,
    `  queries ${num(w.queries)} (${num(w.qps)}/s)  cache hit ${pct(w.hitRatio)}  ` +
      `p50 ${num(w.latency.p50Ms)} ms  p99 ${num(w.latency.p99Ms)} ms` +
      (w.sampledOneIn > 1 ? `  (lists sampled 1 in ${w.sampledOneIn})` : ''),
    `  ${rcodes}  |  cached ${num(w.did.cached)}  forwarded ${num(w.did.forwarded)}  ` +
      `local ${num(w.did.local)}  unanswered ${num(w.did.unanswered)}`,
    '',
    ...clients(w),
    '',
    ...names('NAME', w.names.queries),
    '',
    ...names('NXDOMAIN NAME', w.names.nxdomain),
    '',
    ...waste(w),
    '',
  ]
}

function upstreams(rows: readonly UpstreamRow[]): string[] {
  if (rows.length === 0) return []
  return [`${fit('UPSTREAM', 30)}${fit('HEALTH', 9)}${right('ANSWERS', 10)}${right('SERVFAIL', 10)}` +
    `${right('FAILURES', 10)}${right('P50 MS', 9)}${right('P99 MS', 9)}`,
  ...rows.slice(0, ROWS).map((u) => `${fit(u.to, 30)}${fit(u.health, 9)}${right(num(u.answers), 10)}` +
    `${right(num(u.servfail), 10)}${right(num(u.failures), 10)}${right(num(u.p50Ms), 9)}${right(num(u.p99Ms), 9)}`)]
}

/** One screen of the model. */
function screen(m: StatusModel, addr: string, win: '1m' | '10m'): string {
  const lines = [
    `tsdns top - ${addr} - ${m.generatedAt} - up ${num(m.uptimeSeconds)} s - last ${win === '1m' ? 'minute' : '10 minutes'}`,
    '',
    ...m.blocks.flatMap((b) => block(b, win)),
    ...upstreams(m.upstreams[win]),
  ]
  return lines.join('\n') + '\n'
}

export async function top(o: TopOptions): Promise<number> {
  let text: string
  try {
    text = await fetchModel(o.addr)
  } catch (err) {
    process.stderr.write(`tsdns top: ${(err as Error).message}\n`)
    return 1
  }
  if (o.json) {
    process.stdout.write(text + '\n')
    return 0
  }
  if (o.once || !process.stdout.isTTY) {
    process.stdout.write(screen(JSON.parse(text) as StatusModel, o.addr, o.window))
    return 0
  }
  return live(o, text)
}

/** Redraws every REFRESH_MS until q, Ctrl-C or SIGTERM; an unreachable server shows its error. */
async function live(o: TopOptions, first: string): Promise<number> {
  const out = process.stdout
  const draw = (body: string): void => void out.write(`\x1b[H\x1b[2J${body}`)
  draw(screen(JSON.parse(first) as StatusModel, o.addr, o.window))
  const { promise: quit, resolve } = Promise.withResolvers<void>()
  const stdin = process.stdin
  if (stdin.isTTY) {
    stdin.setRawMode(true)
    stdin.on('data', (b: Buffer) => {
      if (b[0] === 0x71 || b[0] === 0x03) resolve() // q, Ctrl-C
    })
  }
  process.once('SIGINT', resolve)
  process.once('SIGTERM', resolve)
  const timer = setInterval(() => {
    fetchModel(o.addr).then(
      (t) => draw(screen(JSON.parse(t) as StatusModel, o.addr, o.window)),
      (err: Error) => draw(`tsdns top: ${err.message}\n`),
    )
  }, REFRESH_MS)
  await quit
  clearInterval(timer)
  if (stdin.isTTY) stdin.setRawMode(false)
  stdin.pause()
  return 0
}
