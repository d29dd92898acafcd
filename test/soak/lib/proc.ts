// What the soak scenarios read from the process under test: resident memory, and counters from
// its /metrics endpoint.

import { readdirSync, readFileSync } from 'node:fs'

/** Resident set size of a process in MiB (from /proc), or NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN
  } catch {
    return NaN
  }
}

/** Open file descriptors of a process (sockets included), or NaN when it is gone. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return NaN
  }
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
export async function metric(addr: string, name: string,
  labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const text = await (await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(3000) }))
    .text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-z_:]+)(\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = m[3] ?? ''
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(m[4])
  }
  return sum
}
