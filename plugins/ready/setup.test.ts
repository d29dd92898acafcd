import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { RunPhase } from '../../src/plugin/plugin.ts'
import { parseReady, readiness } from './setup.ts'

function parse(body: string) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseReady(blocks[0]!.directives.filter((d) => d.name.text === 'ready'))
}

test('parses the address and both monitor modes', () => {
  assert.deepEqual(parse('ready'), { address: ':8181' })
  assert.deepEqual(parse('ready localhost:8183'), { address: 'localhost:8183' })
  assert.deepEqual(parse('ready {\n monitor until-ready\n}'), { address: ':8181' })
  assert.deepEqual(parse('ready :8182 {\n monitor continuously\n}'), { address: ':8182' })
})

// fails
const bad: [string, { code: string; line: number; col: number }, RegExp][] = [
  ['ready 8181', { code: 'COREFILE_VALUE', line: 2, col: 7 }, /missing port/],
  ['ready :1 :2', { code: 'COREFILE_ARGS', line: 2, col: 10 }, /wrong argument count/],
  [
    'ready {\n monitor sometimes\n}',
    { code: 'COREFILE_VALUE', line: 3, col: 10 },
    /monitor type 'sometimes' not supported/,
  ],
  ['ready {\n monitor\n}', { code: 'COREFILE_ARGS', line: 3, col: 2 }, /wrong argument count/],
  [
    'ready {\n plugins\n}',
    { code: 'COREFILE_UNKNOWN', line: 3, col: 2 },
    /unknown property 'plugins'/,
  ],
]
for (const [input, where, message] of bad) {
  test(`fails: ${input.replace(/\n/g, ' ')}`, () => {
    assert.throws(
      () => parse(input),
      (err: Error & { code: string; line: number; col: number }) => {
        assert.deepEqual({ code: err.code, line: err.line, col: err.col }, where)
        assert.match(err.message, message)
        return true
      },
    )
  })
}

test('200 OK only while serving; 503 while starting and once the final shutdown began', () => {
  const at = (phase: RunPhase) =>
    readiness({ phase: () => phase, hash: () => '', reloadIfChanged: async () => 'unchanged' })
  assert.deepEqual(at('starting'), { status: 503, body: 'Starting' })
  assert.deepEqual(at('serving'), { status: 200, body: 'OK' })
  assert.deepEqual(at('stopping'), { status: 503, body: 'Shutting down' })
})
