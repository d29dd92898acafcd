// `npm run bench`: tsdns against its peers, same machine, same run, ratios reported.
// Needs Debian's dnsperf (apt-get install dnsperf); installs nothing itself.
// The server under test is pinned to CPU 0 (taskset), the load generator to CPU 1.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/ports.ts'
import { dnsperf, type PerfResult } from './dnsperf.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10)
const work = mkdtempSync(join(tmpdir(), 'tsdns-bench-'))

interface Target {
  readonly name: string
  start(port: number): Promise<ChildProcess>
}

function pinned(cmd: string, args: string[]): ChildProcess {
  return spawn('taskset', ['-c', '0', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

async function waitFor(test: () => boolean, what: string, ms = 10000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (test()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const ceiling: Target = {
  name: 'node ceiling (fixed reply)',
  async start(port) {
    const p = pinned(process.execPath, [join(root, 'bench/ceiling.ts'), String(port)])
    let out = ''
    p.stdout!.on('data', (d: Buffer) => (out += d))
    await waitFor(() => out.includes('ready'), 'ceiling')
    return p
  },
}

function tsdns(name: string, corefile: (port: number) => string): Target {
  return {
    name,
    async start(port) {
      const conf = join(work, `${name.replace(/\W+/g, '-')}.Corefile`)
      const pid = join(work, 'tsdns.pid')
      rmSync(pid, { force: true })
      writeFileSync(conf, corefile(port))
      const p = pinned(process.execPath, [join(root, 'src/cli/main.ts'), '-conf', conf, '-pidfile', pid, '-quiet'])
      await waitFor(() => existsSync(pid) && readFileSync(pid, 'utf8').endsWith('\n'), name)
      return p
    },
  }
}

const whoamiQueries = Array.from({ length: 1000 }, (_, i) => `host${i}.example.org A`)

const runs: Array<{ target: Target; queries: readonly string[] }> = [
  { target: ceiling, queries: whoamiQueries },
  {
    target: tsdns('tsdns whoami', (port) => `.:${port} {\n bind 127.0.0.1\n whoami\n}\n`),
    queries: whoamiQueries,
  },
]

async function measure(t: Target, queries: readonly string[]): Promise<PerfResult> {
  const port = await freePort('both')
  const proc = await t.start(port)
  try {
    return await dnsperf({ port, queries, seconds, cpu: 1, file: join(work, 'queries.txt') })
  } finally {
    proc.kill('SIGKILL')
  }
}

const results: Array<{ name: string; r: PerfResult }> = []
for (const { target, queries } of runs) {
  process.stdout.write(`${target.name}: ${seconds}s ... `)
  const r = await measure(target, queries)
  results.push({ name: target.name, r })
  process.stdout.write(`${Math.round(r.qps)} qps, lost ${r.lost}\n`)
}
rmSync(work, { recursive: true, force: true })

const base = results[0]!.r.qps
const lines = [
  `# tsdns benchmark`,
  '',
  `${new Date().toISOString()} · ${cpus()[0]?.model ?? 'cpu'} · ${cpus().length} cores · node ${process.version} · ${seconds}s per run · server on CPU 0, dnsperf on CPU 1`,
  '',
  '| server | workload | qps | vs node ceiling | lost | avg latency ms |',
  '|---|---|---:|---:|---:|---:|',
  ...results.map(({ name, r }) =>
    `| ${name} | UDP, 1k names | ${Math.round(r.qps)} | ${(r.qps / base).toFixed(2)} | ${r.lost} | ${r.avgLatencyMs.toFixed(3)} |`,
  ),
  '',
  'Command: `npm run bench` (BENCH_SECONDS to change the run length).',
  '',
]
writeFileSync(join(root, 'bench/results/latest.md'), lines.join('\n'))
process.stdout.write('\n' + lines.join('\n'))
