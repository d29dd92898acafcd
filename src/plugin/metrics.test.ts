import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CounterFamily, GaugeFamily, HistogramFamily, registry, TIME_BUCKETS } from './metrics.ts'

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
