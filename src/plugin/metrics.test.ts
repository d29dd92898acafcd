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
