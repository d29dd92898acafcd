import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FlagError, parseFlags } from './flags.ts'

const specs = { skip: { names: ['skipteardown'], bool: true }, conf: { names: ['conf'] } }

test("booleans take what Go's flag package takes: bare, or =1/t/TRUE/True..., =0/f/FALSE/False...", () => {
  const value = (arg: string) => parseFlags([arg], specs).values.get('skip')
  assert.equal(value('-skipteardown'), 'true')
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(value(`-skipteardown=${v}`), 'true', v)
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(value(`--skipteardown=${v}`), 'false', v)
  assert.throws(() => value('-skipteardown=yes'),
    (e: unknown) => e instanceof FlagError && e.message === 'invalid boolean value "yes" for -skipteardown: parse error')
})

test('values: -name value, -name=value, --name; unknown flags and missing values are errors', () => {
  assert.equal(parseFlags(['-conf', 'a'], specs).values.get('conf'), 'a')
  assert.equal(parseFlags(['--conf=b'], specs).values.get('conf'), 'b')
  assert.throws(() => parseFlags(['-nope'], specs), /flag provided but not defined: -nope/)
  assert.throws(() => parseFlags(['-conf'], specs), /flag needs an argument: -conf/)
})
