import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import { setLogSink } from '../../src/plugin/log.ts'
import { goDurationMs } from '../../src/plugin/duration.ts'
import { Health } from './health.ts'
import { parseHealth } from './setup.ts'
import { logger } from '../../src/plugin/log.ts'
import { setImmediate, setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../../test/helpers/index.ts'
import { probeFailures } from './metrics.ts'

function parse(body: string) {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseHealth(blocks[0]!.directives.filter((d) => d.name.text === 'health'))
}

const ok: [string, { address: string; lameduckMs: number }[]][] = [
  ['health', [{ address: ':8080', lameduckMs: 0 }]],
  ['health localhost:8091', [{ address: 'localhost:8091', lameduckMs: 0 }]],
  ['health localhost:8092 {\n lameduck 1s\n}', [{ address: 'localhost:8092', lameduckMs: 1000 }]],
  ['health {\n lameduck 1m30s\n}', [{ address: ':8080', lameduckMs: 90_000 }]],
  [
    'health :8080\nhealth [::1]:8081',
    [
      { address: ':8080', lameduckMs: 0 },
      { address: '[::1]:8081', lameduckMs: 0 },
    ],
  ],
]
for (const [input, cfg] of ok) {
  test(`parses: ${input.replace(/\n/g, ' ')}`, () => assert.deepEqual(parse(input), cfg))
}

// fails
const bad: [string, { code: string; line: number; col: number }, RegExp][] = [
  ['health 8080', { code: 'COREFILE_VALUE', line: 2, col: 8 }, /missing port in address/],
  ['health :8080 :8081', { code: 'COREFILE_ARGS', line: 2, col: 14 }, /wrong argument count/],
  ['health {\n lameduck\n}', { code: 'COREFILE_ARGS', line: 3, col: 2 }, /wrong argument count/],
  [
    'health {\n lameduck 5\n}',
    { code: 'COREFILE_VALUE', line: 3, col: 11 },
    /invalid duration '5'/,
  ],
  [
    'health {\n lameduk 5s\n}',
    { code: 'COREFILE_UNKNOWN', line: 3, col: 2 },
    /unknown property 'lameduk'/,
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

test('lameduck: the longest one; stopping the probes does not wait', async () => {
  const lines: string[] = []
  setLogSink((l) => lines.push(l))
  const waits: number[] = []
  const timer = Promise.withResolvers<void>()
  const h = new Health(logger('health'), (ms) => {
    waits.push(ms)
    return timer.promise
  })
  h.watch('127.0.0.1:1', 50)
  h.watch('127.0.0.1:2', 120)
  h.stop()
  assert.deepEqual(waits, [], 'a reload (shutdown without lameduck) does not wait')
  let over = false
  const lameduck = h.lameduck().then(() => (over = true))
  assert.deepEqual(waits, [120], 'the final stop waits the longest lameduck')
  await setImmediate()
  assert.equal(over, false, 'not over before its timer fires')
  timer.resolve()
  await lameduck
  assert.deepEqual(lines, ['[INFO] plugin/health: Going into lameduck mode for 120ms'])
})

test('a failing self-probe is counted and warned about, the URL as CoreDNS shows it', async () => {
  const lines: string[] = []
  setLogSink((l) => lines.push(l))
  const port = await freePort('tcp') // nothing listens there: the probe's connection is refused
  const h = new Health(logger('health'))
  h.watch(`:${port}`, 0)
  const before = probeFailures.value
  h.start()
  try {
    for (let i = 0; i < 50 && lines.length === 0; i++) await sleep(100) // first probe after 1 s
  } finally {
    h.stop()
  }
  const shown = `"http://:${port}/health"`
  const want = `[WARNING] plugin/health: Local health request to ${shown} failed: Get ${shown}: `
  assert.ok(lines[0]?.startsWith(want), `${lines[0]} starts with ${want}`)
  assert.match(lines[0]!, /ECONNREFUSED/)
  assert.ok(probeFailures.value > before, 'coredns_health_request_failures_total counts it')
})

test('durations in its log lines read as Go prints them (lameduck 90s is 1m30s)', () => {
  assert.equal(goDurationMs(90_000), '1m30s')
  assert.equal(goDurationMs(120), '120ms')
  assert.equal(goDurationMs(2001.739243), '2.001739243s')
})
