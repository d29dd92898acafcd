// debug: [DEBUG] logs on, and a hex dump of every query and reply. Unlike CoreDNS, panic
// recovery stays on: a node's DNS must never crash because someone is debugging it.

import { noArgs, noBlock } from '../../src/corefile/args.ts'
import { setDebug } from '../../src/plugin/log.ts'
import { encodeMsg } from '../../src/plugin/msg.ts'
import { definePlugin, nextOrFailure, type HandlerResult, type ResponseWriter } from '../../src/plugin/plugin.ts'
import { hexdump } from './hexdump.ts'

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
        const dumping: ResponseWriter = {
          proto: w.proto,
          local: w.local,
          remote: w.remote,
          get sent() {
            return w.sent
          },
          write(wire, by) {
            ctx.log.debug(`reply by ${by || 'server'}\n${hexdump(wire)}`)
            w.write(wire, by)
          },
          writeMsg(msg, by) {
            this.write(encodeMsg(msg), by)
          },
        }
        return nextOrFailure('debug', next, c, dumping, r)
      },
    })
  },
})
