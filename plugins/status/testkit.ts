// A tsdns with status in front of a fake upstream, and a known workload sent from three loopback
// source addresses: shared by the end-to-end test and the page test (headless Chromium).

import dgram from 'node:dgram'
import { answer, buildQuery, fakeUpstream, freePort, nxdomain, startTsdns } from '../../test/helpers/index.ts'
import type { FakeUpstream, Tsdns } from '../../test/helpers/index.ts'

export interface StatusServer {
  readonly tsdns: Tsdns
  readonly upstream: FakeUpstream
  readonly dnsPort: number
  /** host:port of the status listener. */
  readonly addr: string
  stop(): Promise<void>
}

/** `extra`: more lines for the block (e.g. `reload 2s 1s`). */
export async function startStatusServer(extra = ''): Promise<StatusServer> {
  const upstream = await fakeUpstream((q) =>
    q.name.endsWith('cluster.local') ? nxdomain(q) : answer(q, [`${q.name} 300 IN A 192.0.2.1`]))
  const dnsPort = await freePort('both')
  const statusPort = await freePort('tcp')
  const tsdns = await startTsdns(`.:${dnsPort} {
    bind 127.0.0.1
    status 127.0.0.1:${statusPort}
    cache 30
    forward . ${upstream.addr}
    ${extra}
}
`)
  return {
    tsdns,
    upstream,
    dnsPort,
    addr: `127.0.0.1:${statusPort}`,
    async stop() {
      await tsdns.stop()
      await upstream.close()
    },
  }
}

/** One query from `source`; resolves when answered (or after 2 s). */
export async function queryFrom(source: string, port: number, name: string): Promise<void> {
  const sock = dgram.createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(0, source, resolve)
    })
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000)
      sock.once('message', () => {
        clearTimeout(timer)
        resolve()
      })
      sock.send(buildQuery(name), port, '127.0.0.1')
    })
  } finally {
    sock.close()
  }
}

/**
 * 127.0.0.2 asks www.example.com `n` times (1 miss, then hits); 127.0.0.3 resolves
 * api.github.com through its search list (2 wasted NXDOMAIN, then the name); 127.0.0.1 asks once.
 */
export async function workload(port: number, n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await queryFrom('127.0.0.2', port, 'www.example.com')
  for (const name of ['api.github.com.default.svc.cluster.local', 'api.github.com.cluster.local', 'api.github.com']) {
    await queryFrom('127.0.0.3', port, name)
  }
  await queryFrom('127.0.0.1', port, 'once.example.org')
}
