// Bounded readiness wait for a DNS server the harness spawned: it is ready once it answers at
// all. The probe is a CHAOS TXT query (version.bind), which unbound and dnsmasq answer themselves,
// so it never reaches an upstream and never shows up in a fake upstream's record of queries.

import type { Child } from './proc.ts'
import { sleep } from './proc.ts'
import { buildQuery, udpQuery } from './query.ts'

const PROBE_INTERVAL_MS = 25

export async function waitForDns(child: Child, host: string, port: number,
  ms: number): Promise<void> {
  const deadline = Date.now() + ms
  const probe = buildQuery('version.bind', 'TXT', { class: 'CH', rd: false })
  const maxProbes = Math.ceil(ms / PROBE_INTERVAL_MS) + 1
  for (let i = 0; i < maxProbes && Date.now() < deadline; i++) {
    const exited = child.status()
    if (exited) {
      throw new Error(`${child.name} exited (${JSON.stringify(exited)}) before answering ` +
        `on ${host}:${port}\n${child.tail()}`)
    }
    try {
      const reply = await udpQuery(host, port, probe, { timeoutMs: 200 })
      if (reply) return
    } catch {
      // ECONNREFUSED: not bound yet
    }
    await sleep(PROBE_INTERVAL_MS)
  }
  throw new Error(
    `${child.name} did not answer on ${host}:${port} within ${ms} ms\n${child.tail()}`)
}

/** True if the output says the server could not bind (another process took the port). */
export function lostPortRace(text: string): boolean {
  return /address already in use|could not open ports|failed to create listening socket/i
    .test(text)
}
