import { noArgs, noBlock } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { fatalLoop, LoopDetector } from './loop.ts'

export default definePlugin<null>({
  name: 'loop',
  once: true,
  parse(stanzas) {
    noArgs(stanzas[0]!, 'loop')
    noBlock(stanzas[0]!, 'loop')
    return null
  },
  setup(_cfg, ctx) {
    const detector = new LoopDetector(ctx.zones[0] ?? '.', fatalLoop)
    const link = detector.plugin()
    let target: { host: string; port: number } | undefined
    let stop: (() => void) | undefined
    ctx.onStartup(() => {
      if (target) stop = detector.probe(target.host, target.port)
    })
    ctx.onShutdown(() => stop?.())
    // The first server address this block is built for is where the probe goes (CoreDNS:
    // ListenHosts[0]); a wildcard listener is reached on loopback.
    return (next, chain) => {
      if (!target) {
        const m = /^dns:\/\/\[?([^\]]*)\]?:(\d+)$/.exec(chain.server)
        const host = m?.[1] ? m[1] : '127.0.0.1'
        target = { host: host === '::' ? '::1' : host, port: Number(m?.[2] ?? 53) }
      }
      return link(next, chain)
    }
  },
})
