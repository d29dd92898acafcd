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

/** One row of /proc/net/tcp*: addresses as the kernel writes them (hex, ADDR:PORT), state. */
export interface TcpSocket {
  readonly local: string
  readonly remote: string
  /** '0A' is LISTEN, '01' ESTABLISHED. */
  readonly state: string
}

/** The TCP sockets process `pid` holds (its socket inodes in /proc/net/tcp*); [] once gone. */
export function tcpSockets(pid: number): TcpSocket[] {
  const inodes = new Set<string>()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1]!)
    }
  } catch {
    return []
  }
  const out: TcpSocket[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // local_address, rem_address, st, ..., the inode is the tenth field
      if (f[9] !== undefined && inodes.has(f[9])) out.push({ local: f[1]!, remote: f[2]!, state: f[3]! })
    }
  }
  return out
}

/**
 * TCP connections that process `pid` holds with peers at IPv4 address `remote`: what the server
 * keeps, whatever the client's socket says (a client that never reads does not even see the
 * server's FIN).
 */
export function connectionsFrom(pid: number, remote: string): number {
  // /proc/net/tcp writes an IPv4 address as one little-endian word; tcp6 maps it into ::ffff:0:0/96
  const word = remote.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .reverse().join('')
  const forms = [word, `0000000000000000FFFF0000${word}`]
  return tcpSockets(pid).filter((s) => s.state !== '0A' && forms.includes(s.remote.split(':')[0]!))
    .length
}
