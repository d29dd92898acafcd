// Spoofing, short: forged replies racing the real upstream, then ID and port statistics.

import { test } from 'node:test'
import { spoofing } from './scenarios/spoofing.ts'
import { assertOutcome } from './lib/check.ts'

test('forged replies are never accepted or cached; IDs and fresh ports are uniform',
  async (t) => {
    assertOutcome(t, await spoofing({ names: 200, samples: 2000 }))
  })
