import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import { parsePrometheus } from './setup.ts'

function parse(body: string) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parsePrometheus(blocks[0]!.directives.filter((d) => d.name.text === 'prometheus'))
}

const ok: [string, string, boolean?][] = [
  ['prometheus', 'localhost:9153'],
  ['prometheus localhost:9253', 'localhost:9253'],
  ['prometheus :9153', ':9153'],
  ['prometheus [::1]:9153', '[::1]:9153'],
  ['prometheus 169.254.20.10:9253', '169.254.20.10:9253'],
  ['prometheus {\n runtime_metrics\n}', 'localhost:9153', true],
  ['prometheus :9253 {\n runtime_metrics\n}', ':9253', true],
]
for (const [input, address, runtimeMetrics = false] of ok) {
  test(`parses: ${input.replace(/\n/g, ' ')}`, () =>
    assert.deepEqual(parse(input), { address, runtimeMetrics }))
}

// fails
const bad: [string, { code: string; line: number; col: number }, RegExp][] = [
  ['prometheus localhost', { code: 'COREFILE_VALUE', line: 2, col: 12 }, /missing port in address/],
  ['prometheus ::1:9153', { code: 'COREFILE_VALUE', line: 2, col: 12 }, /too many colons/],
  [
    'prometheus localhost:http',
    { code: 'COREFILE_VALUE', line: 2, col: 12 },
    /invalid port 'http'/,
  ],
  ['prometheus a:1 b:2', { code: 'COREFILE_ARGS', line: 2, col: 16 }, /wrong argument count/],
  [
    'prometheus {\n tls cert.pem key.pem\n}',
    { code: 'COREFILE_UNSUPPORTED', line: 3, col: 2 },
    /tls is not supported/,
  ],
  [
    'prometheus {\n runtime_metrics yes\n}',
    { code: 'COREFILE_ARGS', line: 3, col: 18 },
    /wrong argument count/,
  ],
  [
    'prometheus {\n path /m\n}',
    { code: 'COREFILE_UNKNOWN', line: 3, col: 2 },
    /unknown property 'path'/,
  ],
]
for (const [input, where, message] of bad) {
  test(`fails: ${input.replace(/\n/g, ' ')}`, () => {
    assert.throws(
      () => parse(input),
      (err: Error & { code: string; line: number; col: number }) => {
        assert.deepEqual({ code: err.code, line: err.line, col: err.col }, where)
        assert.match(err.message, message)
        assert.match(err.message, /plugin\/prometheus: /)
        return true
      },
    )
  })
}
