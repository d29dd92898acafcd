// multisocket: how many sockets a block's listen addresses bind, each with SO_REUSEPORT, the
// kernel spreading datagrams and connections over them (CoreDNS plugin/multisocket). Not a
// chain link: the listener pool opens the sockets (src/server/listeners.ts).

import { availableParallelism } from 'node:os'
import type { Directive } from '../../src/corefile/ast.ts'
import { args, int, noBlock } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'

const NAME = 'multisocket'
/** CoreDNS's maxNumSockets. */
const MAX_SOCKETS = 1024

/** `multisocket [NUM_SOCKETS]`, once; without a number, one per CPU (CoreDNS: GOMAXPROCS). */
export function parseMultisocket(stanzas: readonly Directive[]): number {
  if (stanzas.length > 1) {
    // CoreDNS reads the next line as more arguments: its argument error, at that line
    const detail = `wrong argument count or unexpected line ending after '${NAME}', expecting one ${NAME} per block`
    throw new CorefileError('COREFILE_ARGS', stanzas[1]!.name, detail, NAME)
  }
  const d = stanzas[0]!
  noBlock(d, NAME)
  const [n] = args(d, 0, 1, NAME)
  if (n === undefined) return Math.min(availableParallelism(), MAX_SOCKETS)
  return int(n, NAME, { min: 1, max: MAX_SOCKETS })
}

export default definePlugin<number>({
  name: NAME,
  parse: parseMultisocket,
  setup(n, ctx) {
    ctx.sockets(n)
    return undefined
  },
})
