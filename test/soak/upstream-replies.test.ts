// A hostile upstream, short: every broken reply answered as CoreDNS answers it, no OPT to a
// client without EDNS (fresh or from the cache), and a flood of broken replies beside the
// bystander.

import { test } from 'node:test'
import { upstreamReplies } from './scenarios/upstream-replies.ts'
import { assertOutcome } from './lib/check.ts'

test('broken upstream replies: SERVFAIL or repaired as CoreDNS, counted, bystander served',
  async (t) => {
    assertOutcome(t, await upstreamReplies({ rate: 300, durationMs: 3000 }))
  })
