// The short tests' side of a scenario: its figures as test diagnostics, then no broken invariant.

import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { Outcome } from './outcome.ts'

export function assertOutcome(t: TestContext, out: Outcome): void {
  t.diagnostic(`${out.name}: ${JSON.stringify(out.figures)}`)
  assert.deepEqual(out.failures, [], `${out.name}: ${JSON.stringify(out.figures)}`)
}
