import { hostname } from 'node:os'
import type { Directive } from '../../src/corefile/ast.ts'
import { noBlock } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { nsidHandler } from './nsid.ts'

/** `nsid [DATA...]`: the words joined by spaces; the host's name when none are given. */
export function parseNsid(d: Directive): string {
  noBlock(d, 'nsid')
  return d.args.length === 0 ? hostname() : d.args.map((t) => t.text).join(' ')
}

export default definePlugin<string>({
  name: 'nsid',
  once: true,
  parse(stanzas) {
    return parseNsid(stanzas[0]!)
  },
  setup(data) {
    const bytes = new TextEncoder().encode(data)
    return (next) => nsidHandler(bytes, next)
  },
})
