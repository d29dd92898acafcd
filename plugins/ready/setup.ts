// ready [ADDRESS] { monitor until-ready|continuously }: /ready answers 200 OK once every server
// listens and the configuration started, 503 before and from the final shutdown on (CoreDNS
// plugin/ready). A reload keeps it OK: the old configuration serves until the new one does.

import type { Directive } from '../../src/corefile/ast.ts'
import { args, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin, type Runtime } from '../../src/plugin/plugin.ts'
import { httpAddress, httpEndpoints, type HttpReply } from '../../src/server/http.ts'

export interface ReadyConfig {
  readonly address: string
}

const DEFAULT_ADDRESS = ':8181'

export function parseReady(stanzas: readonly Directive[]): ReadyConfig {
  const d = stanzas[0]!
  const [addr] = args(d, 0, 1, 'ready')
  for (const opt of d.block ?? []) {
    if (opt.name.text !== 'monitor') throw unknownProperty(opt, 'ready')
    // Which plugins to poll and for how long: no tsdns plugin reports readiness of its own.
    const [mode] = args(opt, 1, 1, 'ready')
    if (mode!.text !== 'until-ready' && mode!.text !== 'continuously') {
      throw new CorefileError(
        'COREFILE_VALUE',
        mode!,
        `monitor type '${mode!.text}' not supported, expecting until-ready or continuously`,
        'ready',
      )
    }
  }
  return { address: addr ? httpAddress(addr, 'ready') : DEFAULT_ADDRESS }
}

export function readiness(runtime: Runtime): HttpReply {
  switch (runtime.phase()) {
    case 'serving':
      return { status: 200, body: 'OK' }
    case 'stopping':
      return { status: 503, body: 'Shutting down' }
    case 'starting':
      return { status: 503, body: 'Starting' }
  }
}

export default definePlugin<ReadyConfig>({
  name: 'ready',
  once: true,
  parse: parseReady,
  setup(cfg, ctx) {
    httpEndpoints(ctx).route(cfg.address, '/ready', () => readiness(ctx.runtime))
    return undefined
  },
})
