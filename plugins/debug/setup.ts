// debug: [DEBUG] logs on, and a hex dump of every query and reply. Unlike CoreDNS, panic
// recovery stays on: a node's DNS must never crash because someone is debugging it.

import { noArgs, noBlock } from '../../src/corefile/args.ts'
import { WrappedWriter } from '../../src/dns/writer.ts'
import { setDebug, type Logger } from '../../src/plugin/log.ts'
import { definePlugin, nextOrFailure, type HandlerResult, type ResponseWriter } from '../../src/plugin/plugin.ts'
import { hexdump } from './hexdump.ts'

/** Logs each reply's bytes on its way out. */
class Dumping extends WrappedWriter {
  readonly #log: Logger

  constructor(w: ResponseWriter, log: Logger) {
    super(w)
    this.#log = log
  }

  override write(wire: Uint8Array, by: string): void {
    this.#log.debug(`reply by ${by || 'server'}\n${hexdump(wire)}`)
    this.inner.write(wire, by)
  }
}

export default definePlugin<null>({
  name: 'debug',
  once: true,
  parse(stanzas) {
    noArgs(stanzas[0]!, 'debug')
    noBlock(stanzas[0]!, 'debug')
    return null
  },
  setup(_cfg, ctx) {
    ctx.onStartup(() => setDebug(true))
    ctx.onShutdown(() => setDebug(false))
    return (next) => ({
      name: 'debug',
      serveDNS(c, w, r): HandlerResult {
        ctx.log.debug(`query from ${w.remote.address}:${w.remote.port}\n${hexdump(r.wire)}`)
        return nextOrFailure('debug', next, c, new Dumping(w, ctx.log), r)
      },
    })
  },
})
