// Blocks on one line start or fail in tsdns exactly as they did in CoreDNS 1.14.7
// (test/fixtures/oneline: the cases, and what the binary made of them).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { CorefileError, CorefileErrors } from '../src/corefile/errors.ts'
import { loadCorefile } from '../src/corefile/load.ts'
import { Instance } from '../src/server/instance.ts'
import { ONELINE_CASES } from './fixtures/oneline/cases.ts'
import { ONELINE_RESULTS, onelineCorefile, recordedCorefiles } from './compat/record-oneline.ts'

const recorded = JSON.parse(readFileSync(ONELINE_RESULTS, 'utf8')) as Record<
  string,
  { started: boolean; message: string }
>

/** undefined when tsdns would start; else its first error, located. */
function tsdnsError(text: string): CorefileError | undefined {
  try {
    const { blocks } = loadCorefile({ file: 'Corefile', text }, { env: {} })
    Instance.build(blocks, { defaultPort: 53, dir: '.' })
    return undefined
  } catch (err) {
    if (err instanceof CorefileErrors) return err.errors[0]
    if (err instanceof CorefileError) return err
    throw err
  }
}

describe('one-line blocks and top-level braces start or fail as in CoreDNS', () => {
  const cases = recordedCorefiles(53)
  test('every case was recorded', () => {
    assert.deepEqual(Object.keys(recorded).sort(), cases.map(([name]) => name).sort())
  })
  for (const [name, text] of cases) {
    test(name, () => {
      const coredns = recorded[name]!
      const err = tsdnsError(text)
      const tsdns = err === undefined ? 'starts' : `fails: ${err.message}`
      assert.equal(tsdns.startsWith('fails'), !coredns.started, `CoreDNS: ${coredns.message || 'starts'}; tsdns ${tsdns}`)
      // a failure points into the case's lines, where the `}` or the option is
      if (err && name in ONELINE_CASES) assert.ok(err.line >= 2, err.message)
    })
  }
})

describe('what a one-line block means', () => {
  const build = (body: string) =>
    loadCorefile({ file: 'Corefile', text: onelineCorefile(body, 53) }, { env: {} }).blocks[0]!
  test("an option reading the rest of its line takes the '}' (template answer)", () => {
    const [answer] = build(ONELINE_CASES['template answer']!).directives[0]!.block!
    assert.equal(answer!.close?.token.text, '}')
    assert.equal(answer!.close?.next, undefined)
  })
  test('the block reads on into the next stanza of the same directive', () => {
    const err = tsdnsError(onelineCorefile(ONELINE_CASES['template answer, then another template']!, 53))
    assert.equal(err?.line, 3)
    assert.match(err!.message, /unknown property 'template': the '}' at 2:\d+ was read as an argument of 'answer'/)
  })
})
