// Hostile Corefiles (issue 14 item 9): `import /dev/zero`, a FIFO, a directory, a 2 MiB file, a
// 12 MB token, braces nested 200 deep, snippets doubling per level, a glob over 2,000 files.
// `tsdns check` on each must exit 1 within seconds with a located error naming the bound, its RSS
// at most 64 MiB over a check of a good Corefile; SIGUSR1 with each in place must leave the old
// configuration serving a bystander, with RSS bounded likewise.

import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { freePort, IMAGE_HEAP_FLAGS, makeTempDir, removeTempDir, sleep, spawnChild, startTsdns,
  TSDNS_MAIN } from '../../helpers/index.ts'
import type { Tsdns } from '../../helpers/index.ts'
import { underAttack } from '../lib/attack.ts'
import { Outcome } from '../lib/outcome.ts'

export interface HostileCase {
  readonly name: string
  /** Writes what the Corefile imports into `dir`. */
  readonly setup?: (dir: string) => void
  /** The Corefile, serving on `port`. */
  readonly corefile: (port: number) => string
  /** The error's detail, after `file:line:col - `. */
  readonly expect: RegExp
}

const server = (port: number, body: string): string => `.:${port} {\n    whoami\n${body}}\n`

export const CASES: readonly HostileCase[] = [
  {
    name: 'import /dev/zero',
    corefile: (port) => server(port, '    import /dev/zero\n'),
    expect: /could not import \/dev\/zero: not a regular file \(a character device\)$/,
  },
  {
    name: 'import a FIFO',
    setup: (dir) => execFileSync('mkfifo', [path.join(dir, 'fifo')]),
    corefile: (port) => server(port, '    import fifo\n'),
    expect: /could not import .*\/fifo: not a regular file \(a FIFO\)$/,
  },
  {
    name: 'import a directory',
    setup: (dir) => mkdirSync(path.join(dir, 'conf.d')),
    corefile: (port) => server(port, '    import conf.d\n'),
    expect: /could not import .*\/conf\.d: is a directory$/,
  },
  {
    name: 'import a 2 MiB file',
    setup: (dir) => writeFileSync(path.join(dir, 'big'), `# ${'x'.repeat(2 << 20)}\n`),
    corefile: (port) => server(port, '    import big\n'),
    expect: /could not import .*\/big: larger than 1 MiB, the limit for this file$/,
  },
  {
    name: 'a 12 MB token',
    corefile: (port) => server(port, `    log "${'a'.repeat(12_000_000)}"\n`),
    expect: /could not read .*Corefile: larger than 1 MiB, the limit for this file$/,
  },
  {
    name: 'a 900 KB token',
    corefile: (port) => server(port, `    import "${'a'.repeat(900_000)}"\n`),
    expect: /^could not import \S+\/a+…a+'$/, // ENAMETOOLONG, the message clipped
  },
  {
    name: 'braces nested 200 deep',
    corefile: (port) => server(port, `    hosts {\n${'{\n'.repeat(200)}${'}\n'.repeat(200)}    }\n`),
    expect: /^unexpected '\{', blocks nest at most 100 deep$/,
  },
  {
    name: 'snippets doubling over 40 levels',
    corefile: (port) => {
      let text = `(s0) {\n${'    log\n'.repeat(100)}}\n`
      for (let i = 1; i <= 40; i++) text += `(s${i}) {\n    import s${i - 1}\n    import s${i - 1}\n}\n`
      return text + server(port, '    import s40\n')
    },
    expect: /^import expands to more than 100000 tokens/,
  },
  {
    name: 'a glob over 2,000 files',
    setup: (dir) => {
      mkdirSync(path.join(dir, 'many'))
      for (let i = 0; i < 2000; i++) writeFileSync(path.join(dir, 'many', `f${i}`), 'log\n')
    },
    corefile: (port) => server(port, '    import many/*\n'),
    expect: /^more than 1000 files imported, the limit for a Corefile$/,
  },
]

export interface CheckParams {
  /** A check must exit within this (ms); it is killed then. */
  readonly exitMs: number
  /** Peak RSS allowed over a check of a good Corefile (MiB). */
  readonly rssSlackMiB: number
}

/** `tsdns check` on every case: exit 1 in time, one located error naming the bound. */
export async function hostileChecks(p: CheckParams): Promise<Outcome> {
  const out = new Outcome('corefile-limits-check')
  const good = await check({ name: 'good', corefile: (port) => server(port, ''), expect: /^$/ },
    p.exitMs)
  out.expect(good.code === 0, `a good Corefile: exit ${good.code}, ${good.stderr.slice(0, 200)}`)
  out.set({ goodPeakMiB: good.peakMiB })
  for (const c of CASES) {
    const r = await check(c, p.exitMs)
    out.set({ [`${c.name}: ms`]: r.ms, [`${c.name}: peakMiB`]: r.peakMiB })
    const [first = '', shown = '', caret = ''] = r.stderr.split('\n')
    const m = /^(\S+):(\d+):(\d+) - (.*)$/.exec(first)
    out.expect(r.code === 1, `${c.name}: exit ${r.code ?? r.signal} after ${r.ms} ms`)
    out.expect(m !== null && c.expect.test(m[4]!), `${c.name}: ${first.slice(0, 300)}`)
    // an error in the Corefile's text shows its line (clipped) and a caret; one about reading
    // the whole file has no line to show
    if (m && !/could not read/.test(m[4]!)) {
      out.expect(shown.startsWith(` ${m[2]} | `) && shown.length < 200 && caret.includes('^'),
        `${c.name}: no source line and caret: ${shown.slice(0, 200)}`)
    }
    out.expect(r.peakMiB <= good.peakMiB + p.rssSlackMiB,
      `${c.name}: peak RSS ${r.peakMiB} MiB, a good check ${good.peakMiB} MiB`)
  }
  return out
}

interface CheckRun {
  code: number | null
  signal: string | null
  stderr: string
  ms: number
  peakMiB: number
}

async function check(c: HostileCase, exitMs: number): Promise<CheckRun> {
  const dir = makeTempDir('corefile-limits')
  try {
    c.setup?.(dir)
    writeFileSync(path.join(dir, 'Corefile'), c.corefile(1053))
    const t0 = performance.now()
    const child = spawnChild('tsdns-check', process.execPath, [TSDNS_MAIN, 'check', 'Corefile'],
      { cwd: dir })
    let peak = 0
    let status
    const deadline = Date.now() + exitMs
    while ((status = child.status()) === undefined && Date.now() < deadline) {
      peak = Math.max(peak, peakRssMiB(child.proc.pid!))
      await sleep(5)
    }
    status ??= await child.stop('SIGKILL', 0)
    return { code: status.code, signal: status.signal, stderr: child.stderr().join('\n'),
      ms: Math.round(performance.now() - t0), peakMiB: peak }
  } finally {
    removeTempDir(dir)
  }
}

/** The peak resident set of a process so far (VmHWM), 0 when it is gone. */
function peakRssMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : 0
  } catch {
    return 0
  }
}

export interface ReloadParams {
  /** Each SIGUSR1 must log its failure within this (ms). */
  readonly failMs: number
  /** Times every case is tried: memory must not grow from one round to the next. */
  readonly rounds: number
}

/**
 * Node's flags in the image (manifests/Dockerfile). Without the heap ones V8 keeps the young
 * generation a failed load grew (the snippet case builds 100,000 tokens): RSS levels off ~65 MiB
 * up instead of ~35.
 */

/** SIGUSR1 with each hostile Corefile in place: each reload fails, the old one serves. */
export async function hostileReloads(p: ReloadParams): Promise<Outcome> {
  const out = new Outcome('corefile-limits-reload')
  const port = await freePort('both')
  const good = server(port, '')
  let tsdns: Tsdns | undefined
  try {
    tsdns = await startTsdns({ corefile: good, nodeArgs: IMAGE_HEAP_FLAGS })
    const t = tsdns
    for (const c of CASES) c.setup?.(t.dir)
    let failed = 0
    await underAttack(out, { tsdns: t, host: '127.0.0.1', port, name: 'bystander.example.' },
      async () => {
        for (let round = 0; round < p.rounds; round++) for (const c of CASES) {
          writeFileSync(t.confPath, c.corefile(port))
          const before = t.stdout().length
          t.proc.kill('SIGUSR1')
          const line = await newLine(t, before, /\[ERROR\] Restart failed: /, p.failMs)
          const located = /Restart failed: \S+:\d+:\d+ - /.test(line ?? '')
          out.expect(located, `${c.name}: no located reload failure logged: ${line?.slice(0, 200)}`)
          if (located) failed++
        }
      }, { durationMs: 60_000 * p.rounds })
    out.set({ reloadsFailed: failed, reloads: CASES.length * p.rounds })
    out.expect(!t.stdout().some((l) => l.includes('Reloading complete')),
      'a hostile Corefile was applied')
  } finally {
    await tsdns?.stop()
  }
  return out
}

/** The first stdout line from index `from` on that matches `re`, waiting up to `ms`. */
async function newLine(t: Tsdns, from: number, re: RegExp, ms: number): Promise<string | undefined> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(20)) {
    const line = t.stdout().slice(from).find((l) => re.test(l))
    if (line !== undefined) return line
  }
  return undefined
}
