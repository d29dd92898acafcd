import assert from 'node:assert/strict'
import { after, beforeEach, test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import type { CorefileError } from '../../src/corefile/errors.ts'
import { logger, setDebug, setLogSink } from '../../src/plugin/log.ts'
import { PluginError, type Handler } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { nextHandler, Recorder, request, testContext } from '../../test/dnstest.ts'
import { panics } from '../../src/plugin/panics.ts'
import { goDuration } from '../../src/plugin/duration.ts'
import { Consolidator, ErrorsHandler, type ErrorsConfig } from './errors.ts'
import { parseErrors } from './setup.ts'

let lines: string[] = []
setLogSink((l) => lines.push(l))
after(() => setLogSink((l) => process.stdout.write(l + '\n')))
beforeEach(() => {
  lines = []
})

function config(body: string): ErrorsConfig {
  const { blocks } = loadCorefile({ file: 'Corefile', text: `. {\n${body}\n}\n` })
  return parseErrors(blocks[0]!.directives.filter((d) => d.name.text === 'errors'))
}

function handler(body: string, next: Handler | undefined): { h: ErrorsHandler; stop: () => void } {
  const cfg = config(body)
  const cs = cfg.consolidate.map((rule) => new Consolidator(rule, logger('errors')))
  return {
    h: new ErrorsHandler(next, cfg, cs, logger('errors')),
    stop: () => cs.forEach((c) => c.stop()),
  }
}

const failing = (message: string, rcode: number = Rcode.ServFail): Handler => ({
  name: 'forward',
  serveDNS: () => {
    throw new PluginError('forward', message, rcode)
  },
})

test('a returned error is logged once with rcode, name and type, and becomes its rcode', () => {
  const { h } = handler('errors', failing('read udp 127.0.0.1:5300: i/o timeout'))
  assert.equal(
    h.serveDNS(testContext, new Recorder(), request('Example.ORG', 'AAAA')),
    Rcode.ServFail,
  )
  assert.deepEqual(lines, [
    '[ERROR] plugin/errors: 2 example.org. AAAA: plugin/forward: read udp 127.0.0.1:5300: i/o timeout',
  ])
})

test('a rejected promise is the same returned error; REFUSED keeps its rcode', async () => {
  const rejecting: Handler = {
    name: 'forward',
    serveDNS: () => Promise.reject(new PluginError('forward', 'too many queries', Rcode.Refused)),
  }
  const { h } = handler('errors', rejecting)
  assert.equal(await h.serveDNS(testContext, new Recorder(), request('example.org')), Rcode.Refused)
  assert.deepEqual(lines, [
    '[ERROR] plugin/errors: 5 example.org. A: plugin/forward: too many queries',
  ])
})

test('no error, no line: rcodes and answers pass through untouched', async () => {
  assert.equal(
    handler('errors', nextHandler(Rcode.ServFail)).h.serveDNS(
      testContext,
      new Recorder(),
      request('a.'),
    ),
    2,
  )
  const later: Handler = { name: 'x', serveDNS: () => Promise.resolve(Rcode.NXDomain) }
  assert.equal(
    await handler('errors', later).h.serveDNS(testContext, new Recorder(), request('a.')),
    3,
  )
  assert.deepEqual(lines, [])
})

test('no next plugin is a returned error', () => {
  assert.equal(
    handler('errors', undefined).h.serveDNS(testContext, new Recorder(), request('example.org')),
    2,
  )
  assert.deepEqual(lines, [
    '[ERROR] plugin/errors: 2 example.org. A: plugin/errors: no next plugin found',
  ])
})

test('anything else thrown is a panic: SERVFAIL, logged, counted; stack with stacktrace', async () => {
  const panicking: Handler = {
    name: 'template',
    serveDNS: () => {
      throw new TypeError('cannot read properties of undefined')
    },
  }
  const before = panics.value
  assert.equal(
    handler('errors', panicking).h.serveDNS(testContext, new Recorder(), request('example.org')),
    2,
  )
  assert.equal(panics.value, before + 1)
  assert.deepEqual(lines, [
    '[ERROR] Recovered from panic in server: "dns://:53" TypeError: cannot read properties of undefined',
  ])
  lines = []
  const rejecting: Handler = { name: 'x', serveDNS: () => Promise.reject(new RangeError('boom')) }
  const { h } = handler('errors {\n stacktrace\n}', rejecting)
  assert.equal(await h.serveDNS(testContext, new Recorder(), request('example.org')), 2)
  assert.equal(lines.length, 1)
  assert.match(
    lines[0]!,
    /^\[ERROR\] Recovered from panic in server: "dns:\/\/:53" RangeError: boom\nRangeError: boom\n +at /,
  )
})

test('consolidate: matching errors are counted, reported once per period at a level', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { h } = handler(
    'errors {\n consolidate 2s "^plugin/forward: read udp .* i/o timeout$" warning\n}',
    failing('read udp 1.2.3.4:53: i/o timeout'),
  )
  const other = handler('errors', failing('no healthy upstream'))
  for (let i = 0; i < 3; i++) h.serveDNS(testContext, new Recorder(), request('example.org'))
  other.h.serveDNS(testContext, new Recorder(), request('example.org'))
  assert.deepEqual(lines, [
    '[ERROR] plugin/errors: 2 example.org. A: plugin/forward: no healthy upstream',
  ])
  t.mock.timers.tick(1999)
  assert.equal(lines.length, 1)
  t.mock.timers.tick(1)
  assert.deepEqual(lines.slice(1), [
    "[WARNING] plugin/errors: 3 errors like '^plugin/forward: read udp .* i/o timeout$' occurred in last 2s",
  ])
  t.mock.timers.tick(10_000)
  assert.equal(lines.length, 2, 'nothing more to report')
})

test('consolidate: a CoreDNS pattern for the bare forward error matches too', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  // the pattern of CoreDNS's errors README; CoreDNS's forward returns the network error bare
  const { h } = handler(
    'errors {\n consolidate 30s "^read udp .* i/o timeout$"\n}',
    failing('read udp 1.2.3.4:53: i/o timeout'),
  )
  const other = handler(
    'errors {\n consolidate 30s "^udp .* i/o timeout$"\n}',
    failing('read udp 1.2.3.4:53: i/o timeout'),
  )
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  other.h.serveDNS(testContext, new Recorder(), request('example.org'))
  assert.deepEqual(lines, [
    '[ERROR] plugin/errors: 2 example.org. A: plugin/forward: read udp 1.2.3.4:53: i/o timeout',
  ])
  t.mock.timers.tick(30_000)
  assert.deepEqual(lines.slice(1), [
    "[ERROR] plugin/errors: 1 errors like '^read udp .* i/o timeout$' occurred in last 30s",
  ])
})

test('consolidate show_first: the first error at once, a summary only when more followed', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { h } = handler(
    'errors {\n consolidate 30s "timeout$" info show_first\n}',
    failing('i/o timeout'),
  )
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  assert.deepEqual(lines, ['[INFO] plugin/errors: 2 example.org. A: plugin/forward: i/o timeout'])
  t.mock.timers.tick(30_000)
  assert.equal(lines.length, 1, 'one error: no summary')
  for (let i = 0; i < 3; i++) h.serveDNS(testContext, new Recorder(), request('example.org'))
  t.mock.timers.tick(30_000)
  assert.deepEqual(lines.slice(1), [
    '[INFO] plugin/errors: 2 example.org. A: plugin/forward: i/o timeout',
    "[INFO] plugin/errors: 3 errors like 'timeout$' occurred in last 30s",
  ])
})

test('the first matching consolidate rule takes the error; the default level is error', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { h } = handler(
    'errors {\n consolidate 1m "timeout" \n consolidate 5s "i/o" warning\n}',
    failing('i/o timeout'),
  )
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  t.mock.timers.tick(60_000)
  assert.deepEqual(lines, ["[ERROR] plugin/errors: 2 errors like 'timeout' occurred in last 1m0s"])
})

test('debug level consolidation is silent unless debug logging is on', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { h } = handler('errors {\n consolidate 1s "." debug\n}', failing('x'))
  setDebug(true)
  t.after(() => setDebug(false))
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  t.mock.timers.tick(1000)
  assert.deepEqual(lines, ["[DEBUG] plugin/errors: 1 errors like '.' occurred in last 1s"])
})

test('shutdown reports what was counted; later errors are logged one by one', () => {
  const { h, stop } = handler('errors {\n consolidate 1h "."\n}', failing('x'))
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  stop()
  h.serveDNS(testContext, new Recorder(), request('example.org'))
  assert.deepEqual(lines, [
    "[ERROR] plugin/errors: 2 errors like '.' occurred in last 1h0m0s",
    '[ERROR] plugin/errors: 2 example.org. A: plugin/forward: x',
  ])
})

test('parse', () => {
  assert.deepEqual(config('errors'), { stacktrace: false, consolidate: [] })
  assert.deepEqual(config('errors stdout'), { stacktrace: false, consolidate: [] })
  const cfg = config(
    'errors {\n stacktrace\n consolidate 5m ".* i/o timeout$" warning\n consolidate 30s "^Failed to .+" show_first debug\n}',
  )
  assert.equal(cfg.stacktrace, true)
  assert.deepEqual(
    cfg.consolidate.map((c) => [c.periodMs, c.re.pattern(), c.level, c.showFirst]),
    [
      [300_000, '.* i/o timeout$', 'WARNING', false],
      [30_000, '^Failed to .+', 'DEBUG', true],
    ],
  )
})

test('parse errors point at the token', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['errors stderr', 'COREFILE_VALUE', 2, 8, /invalid log file: stderr/],
    ['errors stdout more', 'COREFILE_ARGS', 2, 15, /wrong argument count/],
    ['errors {\n consolidate 5m\n}', 'COREFILE_ARGS', 3, 14, /wrong argument count/],
    ['errors {\n consolidate 5x "a"\n}', 'COREFILE_VALUE', 3, 14, /invalid duration '5x'/],
    [
      'errors {\n consolidate 5m "(a"\n}',
      'COREFILE_VALUE',
      3,
      17,
      /error parsing regexp: missing closing \)/,
    ],
    ['errors {\n consolidate 5m a info warning\n}', 'COREFILE_VALUE', 3, 24, /multiple log levels/],
    [
      'errors {\n consolidate 5m a loud\n}',
      'COREFILE_VALUE',
      3,
      19,
      /unknown option in consolidate: loud/,
    ],
    ['errors {\n consolidate 5m a b c d\n}', 'COREFILE_ARGS', 3, 23, /wrong argument count/],
    [
      'errors {\n panicRecoveryStacktrace\n}',
      'COREFILE_UNKNOWN',
      3,
      2,
      /unknown property 'panicRecoveryStacktrace'/,
    ],
    [
      `errors {\n consolidate 5m ${'a'.repeat(10_001)}\n}`,
      'COREFILE_VALUE',
      3,
      17,
      /regex pattern too long: 10001 characters/,
    ],
  ]
  for (const [text, code, line, col, msg] of cases) {
    assert.throws(
      () => config(text),
      (err: CorefileError) =>
        err.code === code && err.line === line && err.col === col && msg.test(err.message),
      text,
    )
  }
})

test('Go duration text', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [1, '1ns'],
    [1500, '1.5µs'],
    [20e6, '20ms'],
    [1.5e9, '1.5s'],
    [30e9, '30s'],
    [90e9, '1m30s'],
    [300e9, '5m0s'],
    [3600e9, '1h0m0s'],
    [5430.25e9, '1h30m30.25s'],
  ]
  for (const [ns, text] of cases) assert.equal(goDuration(ns), text)
})
