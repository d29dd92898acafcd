// prometheus [ADDRESS] { runtime_metrics }: the metrics endpoint and the core server metrics
// (CoreDNS plugin/metrics/setup.go). Listeners are shared by address across blocks and reloads.

import type { Directive } from '../../src/corefile/ast.ts'
import { args, unknownProperty, noArgs } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { registry } from '../../src/plugin/metrics.ts'
import { definePlugin, type SetupContext } from '../../src/plugin/plugin.ts'
import { httpAddress, httpEndpoints, type HttpReply } from '../../src/server/http.ts'
import { Metrics } from './handler.ts'
import { pluginEnabled } from './metrics.ts'

export interface PrometheusConfig {
  readonly address: string
  /** Adds nodejs_gc_duration_seconds, for the life of the process (README). */
  readonly runtimeMetrics: boolean
}

const DEFAULT_ADDRESS = 'localhost:9153'

export function parsePrometheus(stanzas: readonly Directive[]): PrometheusConfig {
  const d = stanzas[0]!
  const [addr] = args(d, 0, 1, 'prometheus')
  let runtimeMetrics = false
  for (const opt of d.block ?? []) {
    switch (opt.name.text) {
      case 'runtime_metrics':
        noArgs(opt, 'prometheus')
        runtimeMetrics = true
        break
      case 'tls':
        throw new CorefileError(
          'COREFILE_UNSUPPORTED',
          opt.name,
          'tls is not supported by tsdns',
          'prometheus',
        )
      default:
        throw unknownProperty(opt, 'prometheus')
    }
  }
  return { address: addr ? httpAddress(addr, 'prometheus') : DEFAULT_ADDRESS, runtimeMetrics }
}

async function scrape(): Promise<HttpReply> {
  const e = await registry.scrape()
  return { status: 200, type: registry.contentType, body: e.text, gzipped: () => e.gzipped() }
}

interface Enabled {
  readonly server: string
  readonly zone: string
  readonly view: string
  readonly name: string
}

/**
 * coredns_plugin_enabled of this configuration: set when it starts, cleared when it stops. The
 * registry (prom-client) loads when it starts too.
 */
function enabledList(ctx: SetupContext): Enabled[] {
  return ctx.shared('prometheus plugin_enabled', () => {
    const list: Enabled[] = []
    ctx.onStartup(() => {
      registry.load()
      for (const { server, zone, view, name } of list)
        pluginEnabled.child({ server, zone, view, name }).value = 1
    })
    ctx.onShutdown(() => pluginEnabled.reset())
    return list
  })
}

export default definePlugin<PrometheusConfig>({
  name: 'prometheus',
  once: true,
  parse: parsePrometheus,
  setup(cfg, ctx) {
    httpEndpoints(ctx).route(cfg.address, '/metrics', scrape)
    if (cfg.runtimeMetrics) ctx.onStartup(registry.observeGc)
    const enabled = enabledList(ctx)
    return (next, chain) => {
      for (const zone of chain.zones) {
        for (const name of chain.plugins ?? []) {
          enabled.push({ server: chain.server, zone, view: chain.view ?? '', name })
        }
      }
      return new Metrics(next, chain)
    }
  },
})
