// Hostile Corefiles, short: every case of scenarios/corefile-limits.ts through `tsdns check` and
// through a SIGUSR1 reload beside a bystander; `-conf stdin` under the same file limit.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { TSDNS_MAIN } from '../helpers/index.ts'
import { assertOutcome } from './lib/check.ts'
import { hostileChecks, hostileReloads } from './scenarios/corefile-limits.ts'

test('tsdns check on hostile Corefiles: a located error naming the bound, quickly', async (t) => {
  assertOutcome(t, await hostileChecks({ exitMs: 20_000, rssSlackMiB: 64 }))
})

test('a reload with a hostile Corefile fails and the old configuration serves', async (t) => {
  assertOutcome(t, await hostileReloads({ failMs: 20_000, rounds: 1 }))
})

test('-conf stdin reads at most 1 MiB', () => {
  const r = spawnSync(process.execPath, [TSDNS_MAIN, '-conf', 'stdin'], {
    input: `.:1053 {\n    whoami\n}\n# ${'x'.repeat(2 << 20)}\n`,
    encoding: 'utf8',
    timeout: 20_000,
  })
  assert.equal(r.status, 1, r.stderr)
  assert.match(r.stderr, /^stdin:1:1 - could not read stdin: larger than 1 MiB, the limit for this file$/m)
})
