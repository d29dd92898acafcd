// node-cache mode (-localip): what kubernetes/dns cmd/node-cache does around CoreDNS, around
// `serve`. Generate the Corefile, create the interface, serve; once listening install the rules
// and re-check everything every -syncinterval. On SIGTERM/SIGINT, unless -skipteardown: remove
// the rules that keep queries from kube-proxy's DNAT first (so the kube-dns IP's new queries go
// to kube-dns), then stop serving (lameduck, close), then remove the other rules and the
// interface.

import { serve, type ServeOptions } from '../cli/serve.ts'
import { CorefileSync } from './corefile-sync.ts'
import type { NodeCacheParams } from './flags.ts'
import { errorCounters, serveMetrics } from './metrics.ts'
import { NodeNetworking } from './networking.ts'

export async function runNodeCache(p: NodeCacheParams,
  opts: Omit<ServeOptions, 'conf' | 'onServing' | 'onStopping'>): Promise<number> {
  const errors = errorCounters()
  const address = p.metricsListenAddress
  const metrics = address === '' ? undefined : await serveMetrics(address)
  const corefile = new CorefileSync(p, errors)
  const net = new NodeNetworking(p, errors)
  try {
    corefile.start()
    try {
      await net.setupInterface()
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`)
      return 1
    }
    const code = await serve({
      ...opts,
      conf: p.corefile,
      async onServing() {
        corefile.serving = true
        await net.start()
      },
      // an HA partner (-skipteardown) keeps the rules: its partner answers meanwhile
      onStopping: p.skipTeardown ? undefined : () => net.handOver(),
    })
    // a server that never started got no rules; like node-cache, leave its interface
    if (code === 0 && !p.skipTeardown) await net.teardown()
    return code
  } finally {
    corefile.stop()
    net.stop()
    await net.idle()
    await metrics?.close()
  }
}
