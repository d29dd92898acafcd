// What the soak scenarios read from the process under test: resident memory, and counters from
// its /metrics endpoint.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

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

/**
 * TCP connections that process `pid` holds with peers at IPv4 address `remote` (its socket
 * inodes in /proc/net/tcp*): what the server keeps, whatever the client's socket says (a client
 * that never reads does not even see the server's FIN).
 */
export function connectionsFrom(pid: number, remote: string): number {
  const inodes = new Set<string>()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1]!)
    }
  } catch {
    return NaN
  }
  // /proc/net/tcp writes an IPv4 address as one little-endian word; tcp6 maps it into ::ffff:0:0/96
  const word = remote.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .reverse().join('')
  const forms = [word, `0000000000000000FFFF0000${word}`]
  let n = 0
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      const peer = f[2]?.split(':')[0]
      if (peer !== undefined && forms.includes(peer) && f[3] !== '0A' && inodes.has(f[9]!)) n++
    }
  }
  return n
}
