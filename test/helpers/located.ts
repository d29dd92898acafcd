// The shape every plugin's "fails:" table checks: a CorefileError at the expected line and
// column, of the expected kind, whose detail says the expected thing.

import assert from 'node:assert/strict'
import { CorefileError } from '../../src/corefile/errors.ts'

/** `fn` throws a located CorefileError `code` at `line`:`col` with `fragment` in its detail. */
export function throwsLocated(
  fn: () => unknown,
  code: string,
  line: number,
  col: number,
  fragment: string,
): CorefileError {
  let thrown: unknown
  assert.throws(fn, (err: unknown) => ((thrown = err), true))
  assert.ok(thrown instanceof CorefileError, String(thrown))
  assert.deepEqual([thrown.code, thrown.line, thrown.col], [code, line, col], thrown.message)
  assert.ok(thrown.detail.includes(fragment), thrown.detail)
  return thrown
}
