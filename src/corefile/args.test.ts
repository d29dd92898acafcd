import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  args,
  duration,
  int,
  lastToken,
  noArgs,
  noBlock,
  onceError,
  unknownProperty,
} from './args.ts'
import type { Directive, Token } from './ast.ts'
import { errorsOf } from './fixtures.test.ts'
import { loadCorefile } from './load.ts'

/** The first directive of `. {\n<line>\n}` (so it sits on line 2). */
function directive(line: string): Directive {
  return loadCorefile({ file: 'Corefile', text: `. {\n${line}\n}\n` }, { env: {} }).blocks[0]!
    .directives[0]!
}

const token = (text: string): Token => ({
  text,
  file: 'Corefile',
  line: 1,
  col: 5,
  length: text.length,
})

describe('args', () => {
  test('returns the arguments within bounds', () => {
    assert.deepEqual(
      args(directive('reload 10s 2s'), 0, 2, 'reload').map((t) => t.text),
      ['10s', '2s'],
    )
    assert.equal(args(directive('bind a b c d e'), 1, Infinity, 'bind').length, 5)
    assert.doesNotThrow(() => noArgs(directive('whoami'), 'whoami'))
  })

  // prettier-ignore
  const cases: [string, number, number, number, string][] = [
    ['cache', 1, 3, 1, "wrong argument count or unexpected line ending after 'cache' (expecting 1 to 3, got 0)"],
    ['    success 1 2 3 4', 1, 3, 19, "after '4' (expecting 1 to 3, got 4)"],
    ['bind', 1, Infinity, 1, "after 'bind' (expecting at least 1, got 0)"],
    ['whoami extra', 0, 0, 8, "wrong argument count or unexpected line ending after 'extra' (expecting 0, got 1)"],
  ]
  for (const [line, min, max, col, message] of cases) {
    test(`${line.trim()} [${min}, ${max}]`, () => {
      const [e] = errorsOf(() => args(directive(line), min, max, 'test'))
      assert.deepEqual([e!.code, e!.line, e!.col, e!.plugin], ['COREFILE_ARGS', 2, col, 'test'])
      assert.ok(e!.detail.includes(message), e!.detail)
      assert.ok(e!.message.startsWith(`Corefile:2:${col} - plugin/test: `))
    })
  }

  test('lastToken is the name without arguments', () => {
    assert.equal(lastToken(directive('loop')).text, 'loop')
    assert.equal(lastToken(directive('forward . 1.1.1.1')).text, '1.1.1.1')
  })
})

describe('block and property errors', () => {
  test('noBlock', () => {
    assert.doesNotThrow(() => noBlock(directive('reload 10s'), 'reload'))
    const [e] = errorsOf(() => noBlock(directive('reload 10s {\n    jitter 1s\n}'), 'reload'))
    assert.deepEqual(
      [e!.code, e!.line, e!.col, e!.detail],
      [
        'COREFILE_SYNTAX',
        2,
        8,
        "unexpected '{' after '10s', expecting a line break ('reload' takes no block)",
      ],
    )
  })

  test('unknownProperty points at the property', () => {
    const forward = directive('forward . 1.1.1.1 {\n    force_tcp\n    bogus 1\n}')
    const e = unknownProperty(forward.block![1]!, 'forward')
    assert.deepEqual(
      [e.code, e.line, e.col, e.message],
      ['COREFILE_UNKNOWN', 4, 5, "Corefile:4:5 - plugin/forward: unknown property 'bogus'"],
    )
  })

  test('onceError', () => {
    const e = onceError(directive('cache 30'), 'cache')
    assert.equal(
      e.message,
      'Corefile:2:1 - plugin/cache: this plugin can only be used once per Server Block',
    )
  })
})

describe('int', () => {
  // prettier-ignore
  const valid: [string, number][] = [['0', 0], ['30', 30], ['+5', 5], ['-1', -1], ['0009984', 9984]]
  for (const [text, n] of valid) test(text, () => assert.equal(int(token(text), 'cache'), n))

  test('within bounds', () => assert.equal(int(token('65535'), 'x', { min: 0, max: 65535 }), 65535))

  // prettier-ignore
  const invalid: [string, { min?: number; max?: number }, string][] = [
    ['abc', {}, "invalid integer 'abc', expecting an integer"],
    ['1.5', { min: 1 }, "invalid integer '1.5', expecting an integer >= 1"],
    ['', {}, "invalid integer ''"],
    ['1_000', {}, "invalid integer '1_000'"],
    ['0', { min: 1, max: 10 }, 'integer 0 is out of range, expecting an integer from 1 to 10'],
    ['11', { max: 10 }, 'integer 11 is out of range, expecting an integer <= 10'],
    ['99999999999999999999', {}, 'out of range'],
  ]
  for (const [text, range, message] of invalid) {
    test(`'${text}' ${JSON.stringify(range)}`, () => {
      const [e] = errorsOf(() => int(token(text), 'cache', range))
      assert.equal(e!.code, 'COREFILE_VALUE')
      assert.ok(e!.detail.includes(message), e!.detail)
    })
  }
})

describe('duration (Go time.ParseDuration, in ms)', () => {
  // prettier-ignore
  const valid: [string, number][] = [
    ['0', 0],
    ['-0', 0],
    ['5s', 5000],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['500ms', 500],
    ['1s500ms', 1500],
    ['1s.5s', 1500],
    ['10us', 0.01],
    ['10µs', 0.01],
    ['10μs', 0.01],
    ['1500ns', 0.0015],
    ['-2s', -2000],
    ['+3m', 180_000],
    ['2562047h', 2562047 * 3_600_000],
  ]
  for (const [text, ms] of valid)
    test(text, () => assert.equal(duration(token(text), 'reload'), ms))

  // prettier-ignore
  const invalid: [string, string][] = [
    ['5', "invalid duration '5': missing unit, expecting e.g. 30s, 1m30s or 500ms"],
    ['0.0', 'missing unit'],
    ['1.5', 'missing unit'],
    ['', "invalid duration ''"],
    ['s', "invalid duration 's'"],
    ['.s', "invalid duration '.s'"],
    ['-', "invalid duration '-'"],
    ['1d', "unknown unit 'd'"],
    ['1sec', "unknown unit 'sec'"],
    ['1 s', "unknown unit ' s'"],
    ['1e3s', "unknown unit 'e'"],
    ['3000000h', 'out of range'],
  ]
  for (const [text, message] of invalid) {
    test(`'${text}' is invalid`, () => {
      const [e] = errorsOf(() => duration(token(text), 'reload'))
      assert.deepEqual([e!.code, e!.col, e!.plugin], ['COREFILE_VALUE', 5, 'reload'])
      assert.ok(e!.detail.includes(message), e!.detail)
    })
  }
})
