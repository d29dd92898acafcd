// The cache's series appear when CoreDNS 1.14.7's do (checked with the binary behind forward):
// none before the first query; requests and misses from the first miss, both entries gauges from
// the first reply stored; hits by type from the first hit of that type.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { registry } from '../../src/plugin/metrics.ts'
import type { Handler } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Recorder, request, testContext } from '../../test/dnstest.ts'
import setup, { parseCache } from './setup.ts'
import { cacheDirective, Harness, reply } from './testkit.ts'

/** The cache series of one server: "name{type} value", type '' when the family has none. */
async function series(server: string): Promise<string[]> {
  const text = await registry.metrics()
  const out: string[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('coredns_cache_') || !line.includes(`server="${server}"`)) continue
    const type = /type="(\w+)"/.exec(line)?.[1] ?? ''
    out.push(`${line.slice(0, line.indexOf('{'))}{${type}} ${line.slice(line.lastIndexOf(' ') + 1)}`)
  }
  return out.sort()
}

test('cache series show from their first use, as CoreDNS shows them', async () => {
  const t = new Harness()
  assert.deepEqual(await series(t.server), [], 'nothing before the first query')
  await t.ask('a.example.org')
  assert.deepEqual(await series(t.server), [
    'coredns_cache_entries{denial} 0',
    'coredns_cache_entries{success} 1',
    'coredns_cache_misses_total{} 1',
    'coredns_cache_requests_total{} 1',
  ])
  await t.ask('a.example.org')
  assert.deepEqual(await series(t.server), [
    'coredns_cache_entries{denial} 0',
    'coredns_cache_entries{success} 1',
    'coredns_cache_hits_total{success} 1',
    'coredns_cache_misses_total{} 1',
    'coredns_cache_requests_total{} 2',
  ])
})

test('a miss that stores nothing shows no entries gauges', async () => {
  const t = new Harness('cache', (r) => reply(r, [], { rcode: Rcode.Refused })) // not cached
  await t.ask('a.example.org')
  assert.deepEqual(await series(t.server), [
    'coredns_cache_misses_total{} 1',
    'coredns_cache_requests_total{} 1',
  ])
})

test('a reload: entries gauges shown already read the new cache at once', async () => {
  const server = 'dns://reload-test:53'
  const next = new Harness().up
  const cfg = parseCache([cacheDirective('cache')], { zones: ['.'] })
  const ask = (h: Handler) =>
    h.serveDNS(testContext, new Recorder(), request('a.example.org', 'A'))
  const chain = { server, zones: ['.'] }
  await ask(setup.setup(cfg, {} as never)!(next, chain))
  assert.ok((await series(server)).includes('coredns_cache_entries{success} 1'))
  setup.setup(cfg, {} as never)!(next, chain) // the new configuration's chain: an empty cache
  assert.ok((await series(server)).includes('coredns_cache_entries{success} 0'))
})
