// health [ADDRESS] { lameduck DURATION }: not a chain link, an HTTP endpoint shared by address
// across blocks and reloads (CoreDNS plugin/health/setup.go).

import type { Directive } from '../../src/corefile/ast.ts'
import { args, duration, unknownProperty } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { httpAddress, httpEndpoints } from '../../src/server/http.ts'
import { Health, healthy } from './health.ts'

export interface HealthConfig {
  readonly address: string
  readonly lameduckMs: number
}

const DEFAULT_ADDRESS = ':8080'

/** Each `health` line is served; CoreDNS keeps only the last one. */
export function parseHealth(stanzas: readonly Directive[]): HealthConfig[] {
  return stanzas.map((d) => {
    const [addr] = args(d, 0, 1, 'health')
    let lameduckMs = 0
    for (const opt of d.block ?? []) {
      if (opt.name.text !== 'lameduck') throw unknownProperty(opt, 'health')
      lameduckMs = duration(args(opt, 1, 1, 'health')[0]!, 'health')
    }
    return { address: addr ? httpAddress(addr, 'health') : DEFAULT_ADDRESS, lameduckMs }
  })
}

export default definePlugin<HealthConfig[]>({
  name: 'health',
  parse: parseHealth,
  setup(cfg, ctx) {
    const endpoints = httpEndpoints(ctx)
    const health = ctx.shared('health', () => {
      const h = new Health(ctx.log)
      ctx.onStartup(() => h.start())
      ctx.onLameduck(() => h.lameduck())
      ctx.onShutdown(() => h.stop())
      return h
    })
    for (const { address, lameduckMs } of cfg) {
      endpoints.route(address, '/health', healthy)
      health.watch(address, lameduckMs)
    }
    return undefined
  },
})
