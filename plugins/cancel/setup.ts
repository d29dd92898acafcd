// cancel [TIMEOUT]: every stanza is read and the last one sets the timeout, as in CoreDNS.

import type { Directive } from '../../src/corefile/ast.ts'
import { args, duration, noBlock } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { cancelHandler } from './cancel.ts'

/** CoreDNS's default: just past the 5 s after which a DNS client has given up. */
const DEFAULT_TIMEOUT_MS = 5001

/** The line's TIMEOUT argument, or the default without one. */
function timeoutOf(d: Directive): number {
  const [t] = args(d, 0, 1, 'cancel')
  if (t === undefined) return DEFAULT_TIMEOUT_MS
  const ms = duration(t, 'cancel')
  if (ms <= 0) {
    const detail = `invalid negative duration: "${t.text}", expecting e.g. 1s or 500ms`
    throw new CorefileError('COREFILE_VALUE', t, detail, 'cancel')
  }
  return ms
}

export function parseCancel(stanzas: readonly Directive[]): number {
  let timeoutMs = DEFAULT_TIMEOUT_MS
  for (const d of stanzas) {
    timeoutMs = timeoutOf(d)
    if (d.block === undefined) continue
    // CoreDNS's setup reads a block's lines as more `cancel` lines (their first word taken for
    // the directive), then its closing brace as one without TIMEOUT: the default wins.
    for (const line of d.block) {
      noBlock(line, 'cancel')
      timeoutOf(line)
    }
    timeoutMs = DEFAULT_TIMEOUT_MS
  }
  return timeoutMs
}

export default definePlugin<number>({
  name: 'cancel',
  parse: parseCancel,
  setup(timeoutMs) {
    return (next) => cancelHandler(timeoutMs, next)
  },
})
