// Drives Debian's dnsperf pinned to its own core. Two modes: flat out (queries per second and
// loss from its summary) and at a fixed offered rate with -v, where every answer's latency is
// read from its line to give percentiles (dnsperf 2.10 prints no histogram of its own).

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface PerfResult {
  readonly qps: number
  readonly sent: number
  readonly lost: number
  /** Seconds; empty unless the run was made with `latencies`. */
  readonly latencies: Float64Array
}

export interface PerfOptions {
  readonly port: number
  /** A file of "name TYPE" lines; dnsperf starts over at its end. */
  readonly file: string
  readonly seconds: number
  readonly cpu: number
  /** Offered rate cap in queries per second; flat out when absent. */
  readonly rate?: number
  /** Go through the file once only (dnsperf -n 1). */
  readonly once?: boolean
  /** Collect every answer's latency (dnsperf -v). */
  readonly latencies?: boolean
}

/** Queries in flight: enough to saturate one core of any peer, bounded for a fair loss count. */
const CLIENTS = 8
const OUTSTANDING = 500
const TIMEOUT_S = 1

export function dnsperf(o: PerfOptions): Promise<PerfResult> {
  const args = ['-c', String(o.cpu), 'dnsperf', '-s', '127.0.0.1', '-p', String(o.port),
    '-d', o.file, '-l', String(o.seconds), '-c', String(CLIENTS), '-q', String(OUTSTANDING),
    '-t', String(TIMEOUT_S)]
  if (o.rate !== undefined) args.push('-Q', String(o.rate))
  if (o.once) args.push('-n', '1')
  if (o.latencies) args.push('-v')
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const killer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 15) * 1000)
  let lat = new Float64Array(1 << 16)
  let n = 0
  const summary: string[] = []
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const lines = createInterface({ input: child.stdout })
  lines.on('line', (line) => {
    // "> NOERROR name A 0.000123" for each answer (and "> T ..." for a timeout)
    if (line.startsWith('> ')) {
      const s = line.lastIndexOf(' ')
      const v = Number(line.slice(s + 1))
      if (line[2] === 'T' || !Number.isFinite(v)) return
      if (n === lat.length) {
        const grown = new Float64Array(lat.length * 2)
        grown.set(lat)
        lat = grown
      }
      lat[n++] = v
    } else {
      summary.push(line)
    }
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(killer)
      const text = summary.join('\n')
      const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN)
      const qps = num(/Queries per second:\s+([\d.]+)/)
      if (code !== 0 || Number.isNaN(qps)) {
        return reject(new Error(`dnsperf exited ${code}: ${stderr.trim()}\n${text}`))
      }
      resolve({
        qps,
        sent: num(/Queries sent:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        latencies: lat.subarray(0, n).sort(),
      })
    })
  })
}

/** The q-quantile (0..1) of sorted values, nearest rank; NaN when there are none. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
