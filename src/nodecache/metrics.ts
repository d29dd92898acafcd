// node-cache's own metric (kubernetes/dns cmd/node-cache/app/metrics.go), in the project registry
// so the prometheus plugin exports it too, and its plain /metrics listener
// (-metrics-listen-address), which serves that same registry as node-cache's serves Go's default.

import http from 'node:http'
import { logger } from '../plugin/log.ts'
import { CounterFamily, registry, type Cell } from '../plugin/metrics.ts'
import { splitHostPort } from '../server/http.ts'

const setupErrors = new CounterFamily<'errortype'>(
  'coredns_nodecache_setup_errors_total',
  'The number of errors during periodic network setup for node-cache',
  ['errortype'],
)

const ERROR_TYPES = [
  'iptables', 'iptables_lock', 'interface_add', 'interface_check', 'configmap',
] as const
export type ErrorType = (typeof ERROR_TYPES)[number]

/** The cells, created (at 0) only when node-cache mode runs, as node-cache registers them. */
export function errorCounters(): Readonly<Record<ErrorType, Cell>> {
  const cells = {} as Record<ErrorType, Cell>
  for (const t of ERROR_TYPES) cells[t] = setupErrors.child({ errortype: t })
  return cells
}

export interface MetricsListener {
  close(): Promise<void>
}

/** Serves GET /metrics on `address`; a bind failure is logged and node setup goes on. */
export async function serveMetrics(address: string): Promise<MetricsListener | undefined> {
  const hp = splitHostPort(address)
  if (typeof hp === 'string') {
    logger().error(`Failed to start metrics handler: address ${address}: ${hp}`)
    return undefined
  }
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('404 page not found\n')
      return
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    )
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: hp.host === '' ? undefined : hp.host, port: hp.port }, resolve)
    })
  } catch (err) {
    logger().error(`Failed to start metrics handler: ${(err as Error).message}`)
    return undefined
  }
  return {
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
