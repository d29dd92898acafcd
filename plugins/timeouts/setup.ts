// timeouts: the TCP read, write and idle timeouts and the per-connection query cap of the servers
// a block is on (CoreDNS plugin/timeouts). Not a chain link: the TCP listener applies them.

import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, duration, int, noArgs, noBlock } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin, type TcpOptions } from '../../src/plugin/plugin.ts'

const MIN_MS = 1000
const MAX_MS = 24 * 3600 * 1000

function timeout(d: Directive): number {
  const [t] = args(d, 1, 1, 'timeouts') as [Token]
  const ms = duration(t, 'timeouts')
  if (ms < MIN_MS || ms > MAX_MS) {
    const detail = `timeout provided '${t.text}' needs to be between 1 second and 24 hours`
    throw new CorefileError('COREFILE_VALUE', t, detail, 'timeouts')
  }
  return ms
}

/** CoreDNS's `maxtcpqueries N`: a positive cap, or -1 for none (0 here). */
function maxTcpQueries(d: Directive): number {
  const [t] = args(d, 1, 1, 'timeouts') as [Token]
  const n = int(t, 'timeouts')
  if (n === 0 || n < -1) {
    const detail = `maxtcpqueries provided '${n}' needs to be -1 (unlimited) or a positive integer`
    throw new CorefileError('COREFILE_VALUE', t, detail, 'timeouts')
  }
  return n === -1 ? 0 : n
}

/** `timeouts { read D; write D; idle D; maxtcpqueries N }`, at least one of them. */
export function parseTimeouts(stanzas: readonly Directive[]): TcpOptions {
  let opts: TcpOptions = {}
  for (const d of stanzas) {
    noArgs(d, 'timeouts')
    if (d.block === undefined || d.block.length === 0) {
      const detail = 'timeouts block with no timeouts or limits specified'
      throw new CorefileError('COREFILE_ARGS', d.name, detail, 'timeouts')
    }
    for (const opt of d.block) {
      noBlock(opt, 'timeouts')
      switch (opt.name.text) {
        case 'read':
          opts = { ...opts, readMs: timeout(opt) }
          break
        case 'write':
          opts = { ...opts, writeMs: timeout(opt) }
          break
        case 'idle':
          opts = { ...opts, idleMs: timeout(opt) }
          break
        case 'maxtcpqueries':
          opts = { ...opts, maxQueries: maxTcpQueries(opt) }
          break
        case 'max_queries': {
          // tsdns's name from before CoreDNS had one: 0 is no cap
          const [n] = args(opt, 1, 1, 'timeouts') as [Token]
          opts = { ...opts, maxQueries: int(n, 'timeouts', { min: 0 }) }
          break
        }
        default: {
          const detail = `unknown option: '${opt.name.text}'`
          throw new CorefileError('COREFILE_UNKNOWN', opt.name, detail, 'timeouts')
        }
      }
    }
  }
  return opts
}

export default definePlugin<TcpOptions>({
  name: 'timeouts',
  parse: parseTimeouts,
  setup(opts, ctx) {
    ctx.tcpOptions(opts)
    return undefined
  },
})
