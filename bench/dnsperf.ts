// Drives Debian's dnsperf pinned to its own core and reads its summary.

import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'

export interface PerfResult {
  readonly qps: number
  readonly sent: number
  readonly lost: number
  readonly avgLatencyMs: number
}

export interface PerfOptions {
  readonly port: number
  readonly queries: readonly string[] // "name TYPE" lines
  readonly seconds: number
  /** Cap the offered rate (queries per second); unlimited when absent. */
  readonly rate?: number
  readonly cpu: number
  readonly file: string
}

export function dnsperf(o: PerfOptions): Promise<PerfResult> {
  writeFileSync(o.file, o.queries.join('\n') + '\n')
  const args = ['-c', String(o.cpu), 'dnsperf', '-s', '127.0.0.1', '-p', String(o.port), '-d', o.file,
    '-l', String(o.seconds), '-c', '8', '-q', '500', '-t', '1']
  if (o.rate) args.push('-Q', String(o.rate))
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { timeout: (o.seconds + 15) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`dnsperf failed: ${err.message}\n${stdout}`))
      const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN)
      resolve({
        qps: num(/Queries per second:\s+([\d.]+)/),
        sent: num(/Queries sent:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
      })
    })
  })
}
