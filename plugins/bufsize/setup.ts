import type { Directive } from '../../src/corefile/ast.ts'
import { args, int, noOptions } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { bufsizeHandler } from './bufsize.ts'

/** DNS Flag Day 2020: 1232 bytes fit in one packet on practically every path. */
const DEFAULT_SIZE = 1232

/** `bufsize [SIZE]`, SIZE from 512 to 4096 (RFC 6891). */
export function parseBufsize(d: Directive): number {
  noOptions(d, 'bufsize')
  const [size] = args(d, 0, 1, 'bufsize')
  return size === undefined ? DEFAULT_SIZE : int(size, 'bufsize', { min: 512, max: 4096 })
}

export default definePlugin<number>({
  name: 'bufsize',
  once: true,
  parse(stanzas) {
    return parseBufsize(stanzas[0]!)
  },
  setup(size) {
    return (next) => bufsizeHandler(size, next)
  },
})
