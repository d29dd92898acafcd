import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import {
  CounterFamily, familyNamed, GaugeFamily, HistogramFamily, registry, TIME_BUCKETS,
} from './metrics.ts'

test('children are plain cells read at scrape time, in Prometheus text format', async () => {
  const c = new CounterFamily('tsdns_test_requests_total', 'Requests.', ['server', 'zone'])
  const a = c.child({ server: 'dns://:53', zone: '.' })
  a.value += 3
  assert.equal(c.child({ server: 'dns://:53', zone: '.' }), a, 'same labels give the same cell')
  const g = new GaugeFamily('tsdns_test_entries', 'Entries.', ['type'])
  g.child({ type: 'success' }).read = () => 42
  const h = new HistogramFamily('tsdns_test_duration_seconds', 'Duration.', ['zone'], [0.1, 1])
  const hc = h.child({ zone: '.' })
  hc.observe(0.05)
  hc.observe(0.5)
  hc.observe(5)
  const text = await registry.metrics()
  assert.match(text, /^tsdns_test_requests_total\{server="dns:\/\/:53",zone="."\} 3$/m)
  assert.match(text, /^tsdns_test_entries\{type="success"\} 42$/m)
  assert.match(text, /^tsdns_test_duration_seconds_bucket\{zone=".",le="0.1"\} 1$/m)
  assert.match(text, /^tsdns_test_duration_seconds_bucket\{zone=".",le="1"\} 2$/m)
  assert.match(text, /^tsdns_test_duration_seconds_bucket\{zone=".",le="\+Inf"\} 3$/m)
  assert.match(text, /^tsdns_test_duration_seconds_sum\{zone="."\} 5.55$/m)
  assert.match(text, /^tsdns_test_duration_seconds_count\{zone="."\} 3$/m)
  for (const f of ['tsdns_test_requests_total', 'tsdns_test_entries', 'tsdns_test_duration_seconds']) {
    registry.removeSingleMetric(f)
  }
})

test('TimeBuckets match CoreDNS', () => {
  assert.equal(TIME_BUCKETS.length, 16)
  assert.equal(TIME_BUCKETS[0], 0.00025)
  assert.equal(TIME_BUCKETS[15], 8.192)
})

test('as the Go client: no HELP/TYPE for a family without samples, no blank lines', async () => {
  const empty = new CounterFamily('tsdns_test_unused_total', 'Never counted.', ['zone'])
  const used = new CounterFamily('tsdns_test_used_total', 'Counted.', ['zone'])
  used.child({ zone: '.' }).value = 1
  const text = await registry.metrics()
  assert.doesNotMatch(text, /tsdns_test_unused_total/)
  assert.match(text, /^# HELP tsdns_test_used_total Counted\.\n# TYPE tsdns_test_used_total counter\ntsdns_test_used_total\{zone="\."\} 1$/m)
  assert.doesNotMatch(text, /\n\n/)
  assert.ok(text.endsWith('\n'))
  empty.child({ zone: '.' }).value = 2
  assert.match(await registry.metrics(), /^tsdns_test_unused_total\{zone="\."\} 2$/m)
  for (const f of ['tsdns_test_unused_total', 'tsdns_test_used_total']) registry.removeSingleMetric(f)
})

test('fromFirstUse: a child shows once counted or set, as a labelled CoreDNS vector', async () => {
  const lazy = { fromFirstUse: true }
  const c = new CounterFamily('tsdns_test_lazy_total', 'Lazy.', ['zone'], lazy)
  const g = new GaugeFamily('tsdns_test_lazy_entries', 'Lazy gauge.', ['zone'], lazy)
  const h = new HistogramFamily('tsdns_test_lazy_seconds', 'Lazy histogram.', ['zone'], [1], lazy)
  const eager = new CounterFamily('tsdns_test_eager_total', 'Eager.', ['zone'])
  const [cc, gc, hc] = [c.child({ zone: 'a.' }), g.child({ zone: 'a.' }), h.child({ zone: 'a.' })]
  const [cb, gb] = [c.child({ zone: 'b.' }), g.child({ zone: 'b.' })]
  eager.child({ zone: 'a.' })
  let text = await registry.metrics()
  assert.doesNotMatch(text, /tsdns_test_lazy/, 'nothing used yet')
  assert.match(text, /^tsdns_test_eager_total\{zone="a\."\} 0$/m, 'an eager child shows at 0')
  cc.value++
  gc.read = () => 0
  hc.observe(0.5)
  gb.value = 3
  text = await registry.metrics()
  assert.match(text, /^tsdns_test_lazy_total\{zone="a\."\} 1$/m)
  assert.doesNotMatch(text, /tsdns_test_lazy_total\{zone="b\."\}/, 'b. not counted yet')
  assert.match(text, /^tsdns_test_lazy_entries\{zone="a\."\} 0$/m, 'a read makes a gauge shown')
  assert.match(text, /^tsdns_test_lazy_entries\{zone="b\."\} 3$/m)
  assert.match(text, /^tsdns_test_lazy_seconds_count\{zone="a\."\} 1$/m)
  // status reads forward's families whole, used or not
  const all = [...familyNamed('tsdns_test_lazy_total')!.eachChild()].flat()
  assert.deepEqual(all.map((s) => [s.labels.zone, s.value]), [['a.', 1], ['b.', 0]])
  assert.equal(cb.value, 0)
  for (const f of ['tsdns_test_lazy_total', 'tsdns_test_lazy_entries', 'tsdns_test_lazy_seconds',
    'tsdns_test_eager_total']) registry.removeSingleMetric(f)
})

test('runtime families: collectDefaultMetrics\'s but its GC histogram, until observeGc', () => {
  type Client = typeof import('prom-client')
  const client = createRequire(import.meta.url)('prom-client') as Client
  const theirs = new client.Registry()
  client.collectDefaultMetrics({ register: theirs })
  const names = (ms: { name: string }[]) => ms.map((m) => m.name)
  const ours = new Set(names(registry.getMetricsAsArray()))
  const GC = 'nodejs_gc_duration_seconds'
  const missing = names(theirs.getMetricsAsArray())
    .filter((n) => n !== GC && !ours.has(n))
    .filter((n) => !/^nodejs_active_\w+_total$/.test(n)) // left out on purpose (metrics.ts)
  assert.deepEqual(missing, [], 'a default collector tsdns does not load')
  assert.ok(!ours.has(GC))
  registry.observeGc()
  registry.observeGc() // a latch: once
  assert.deepEqual(names(registry.getMetricsAsArray()).filter((n) => n === GC), [GC])
})
