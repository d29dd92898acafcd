import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { loadCorefile } from '../../src/corefile/load.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { type CacheConfig, DEFAULTS, effectiveCapacity } from './config.ts'
import setup, { parseCache } from './setup.ts'
import { cacheDirective } from './testkit.ts'

function parse(body: string, zones: readonly string[] = ['example.org.']): CacheConfig {
  return parseCache([cacheDirective(body)], { zones })
}

const IMMEDIATE = { upToSec: 3600, verify: false, verifyTimeoutMs: 0, responseTtl: 0, recheckMs: 0 }

const valid: Array<[string, Partial<CacheConfig>]> = [
  ['cache', { zones: ['example.org.'] }],
  ['cache 10', {
    success: { ...DEFAULTS.success, maxTtl: 10 },
    denial: { ...DEFAULTS.denial, maxTtl: 10 },
  }],
  ['cache 10 Example.ORG example.net:53', { zones: ['example.org.', 'example.net.'] }],
  ['cache example.org', { zones: ['example.org.'], success: DEFAULTS.success }],
  ['cache 10.0.0.0/8', { zones: ['10.in-addr.arpa.'] }],
  ['cache {\n success 20\n}', { success: { capacity: 20, maxTtl: 3600, minTtl: 5 } }],
  ['cache 30 {\n success 5000 60 2\n denial 2500 10 0\n}', {
    success: { capacity: 5000, maxTtl: 60, minTtl: 2 },
    denial: { capacity: 2500, maxTtl: 10, minTtl: 0 },
  }],
  ['cache {\n prefetch 10\n}', { prefetch: { amount: 10, windowMs: 60_000, percentage: 10 } }],
  ['cache {\n prefetch 9 90s 25%\n}', { prefetch: { amount: 9, windowMs: 9e4, percentage: 25 } }],
  ['cache {\n serve_stale\n}', { serveStale: IMMEDIATE }],
  ['cache {\n serve_stale 1.5s\n}', { serveStale: { ...IMMEDIATE, upToSec: 1 } }],
  ['cache {\n serve_stale 20m immediate 30s 10s\n}', {
    serveStale: { ...IMMEDIATE, upToSec: 1200, responseTtl: 30, recheckMs: 10_000 },
  }],
  ['cache {\n serve_stale 1h VERIFY 100ms 30s 5m\n serve_stale_policy prefer_positive\n}', {
    serveStale: {
      ...IMMEDIATE, verify: true, verifyTimeoutMs: 100, responseTtl: 30, recheckMs: 300_000,
    },
    preferPositive: true,
  }],
  ['cache {\n servfail 0\n}', { servfailTtl: 0 }],
  ['cache {\n servfail 5m\n}', { servfailTtl: 300 }],
  ['cache {\n disable success\n disable denial Example.org sub.example.net\n}', {
    disable: { success: ['.'], denial: ['example.org.', 'sub.example.net.'] },
  }],
  ['cache {\n keepttl\n}', { keepTtl: true }],
]

for (const [body, want] of valid) {
  test(`parses: ${body.replace(/\n/g, ' ')}`, () => {
    const got = parse(body)
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof CacheConfig], v, k)
  })
}

test('defaults: CoreDNS capacity, TTLs, servfail, prefetch window', () => {
  const got = parse('cache')
  assert.deepEqual({ ...got, zones: DEFAULTS.zones }, DEFAULTS)
  assert.equal(effectiveCapacity(got.success.capacity), 9984)
  assert.equal(effectiveCapacity(0), 1024)
  assert.equal(effectiveCapacity(5000), 4864)
})

// fails: [body, code, line, col, message fragment] (line 2 is the `cache` line)
const invalid: Array<[string, string, number, number, RegExp]> = [
  ['cache 0', 'COREFILE_VALUE', 2, 7, /cache TTL can not be zero or negative: 0/],
  ['cache -5', 'COREFILE_VALUE', 2, 7, /cache TTL can not be zero or negative: -5/],
  ['cache 10 exa..mple.org', 'COREFILE_VALUE', 2, 10, /not a valid domain name/],
  ['cache {\n success\n}', 'COREFILE_ARGS', 3, 2, /wrong argument count.*after 'success'/],
  ['cache {\n success 10 20 3 4\n}', 'COREFILE_ARGS', 3, 18, /wrong argument count/],
  ['cache {\n success abc\n}', 'COREFILE_VALUE', 3, 10, /invalid integer 'abc'/],
  ['cache {\n success -1\n}', 'COREFILE_VALUE', 3, 10, /out of range/],
  ['cache {\n denial 10 0\n}', 'COREFILE_VALUE', 3, 12, /cache TTL can not be zero or negative: 0/],
  ['cache {\n denial 10 20 -1\n}', 'COREFILE_VALUE', 3, 15, /min TTL can not be negative: -1/],
  ['cache {\n prefetch\n}', 'COREFILE_ARGS', 3, 2, /wrong argument count/],
  ['cache {\n prefetch 1 1m 10% x\n}', 'COREFILE_ARGS', 3, 20, /wrong argument count/],
  ['cache {\n prefetch -1\n}', 'COREFILE_VALUE', 3, 11, /prefetch amount should be positive: -1/],
  ['cache {\n prefetch 1 soon\n}', 'COREFILE_VALUE', 3, 13, /invalid duration 'soon'/],
  ['cache {\n prefetch 1 1m 10\n}', 'COREFILE_VALUE', 3, 16, /last character of percentage/],
  ['cache {\n prefetch 1 1m 5%\n}', 'COREFILE_VALUE', 3, 16, /should fall in range \[10, 90\]: 5/],
  ['cache {\n prefetch 1 1m x%\n}', 'COREFILE_VALUE', 3, 16, /invalid integer 'x'/],
  ['cache {\n serve_stale -1s\n}', 'COREFILE_VALUE', 3, 14, /invalid negative duration/],
  ['cache {\n serve_stale 1h later\n}', 'COREFILE_VALUE', 3, 17, /refresh mode: later/],
  ['cache {\n serve_stale 1h immediate 1s 1s 1s\n}', 'COREFILE_ARGS', 3, 33, /argument count/],
  ['cache {\n serve_stale 1h verify 1s 1s 1s 1s\n}', 'COREFILE_ARGS', 3, 33, /argument count/],
  ['cache {\n serve_stale 1h immediate 1500ms\n}', 'COREFILE_VALUE', 3, 27, /whole seconds/],
  ['cache {\n serve_stale 1h verify -1s\n}', 'COREFILE_VALUE', 3, 24, /invalid negative timeout/],
  ['cache {\n serve_stale 1h immediate 30s 6m\n}', 'COREFILE_VALUE', 3, 31, /can not exceed 5m/],
  ['cache {\n serve_stale_policy prefer_positive\n}', 'COREFILE_VALUE', 3, 2, /needs serve_stale/],
  ['cache {\n serve_stale\n serve_stale_policy x\n}', 'COREFILE_VALUE', 4, 21, /policy 'x'/],
  ['cache {\n servfail\n}', 'COREFILE_ARGS', 3, 2, /wrong argument count/],
  ['cache {\n servfail -1s\n}', 'COREFILE_VALUE', 3, 11, /invalid negative ttl for servfail/],
  ['cache {\n servfail 6m\n}', 'COREFILE_VALUE', 3, 11, /over 5 minutes is not permitted/],
  ['cache {\n disable\n}', 'COREFILE_ARGS', 3, 2, /wrong argument count/],
  ['cache {\n disable both\n}', 'COREFILE_VALUE', 3, 10, /must be "success" or "denial"/],
  ['cache {\n keepttl yes\n}', 'COREFILE_ARGS', 3, 10, /wrong argument count/],
  ['cache {\n sucess 10\n}', 'COREFILE_UNKNOWN', 3, 2, /unknown property 'sucess'/],
  ['cache {\n success 10 {\n }\n}', 'COREFILE_SYNTAX', 3, 10, /unexpected '\{'/],
]

for (const [body, code, line, col, message] of invalid) {
  test(`rejects: ${body.replace(/\n/g, ' ')}`, () => {
    assert.throws(
      () => parse(body),
      (err: unknown) => {
        assert.ok(err instanceof CorefileError, String(err))
        assert.deepEqual([err.code, err.line, err.col], [code, line, col], err.message)
        assert.match(err.message, message)
        assert.match(err.message, /^Corefile:\d+:\d+ - plugin\/cache: /)
        return true
      },
    )
  })
}

test('setup: a chain link per server, with entries gauges that read the shared stores', () => {
  const link = setup.setup(parse('cache'), {} as never)!
  const a = link(undefined, { server: 'dns://127.0.0.1:53', zones: ['example.org.'] })
  const b = link(undefined, { server: 'dns://[::1]:53', zones: ['example.org.'] })
  assert.equal(a.name, 'cache')
  assert.notEqual(a, b)
  assert.equal(setup.once, true)
})

test('every corefile example in README.md parses', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8')
  const examples = [...readme.matchAll(/~~~ corefile\n([\s\S]*?)~~~/g)].map((m) => m[1]!)
  assert.ok(examples.length >= 5)
  for (const text of examples) {
    const { blocks } = loadCorefile({ file: 'README.md', text })
    for (const b of blocks) {
      const stanzas = b.directives.filter((d) => d.name.text === 'cache')
      assert.equal(stanzas.length, 1, text)
      parseCache(stanzas, { zones: ['.'] })
    }
  }
})
