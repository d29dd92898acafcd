// CoreDNS plugin/health/overloaded.go: no server label, since being slow to answer one's own
// health endpoint is a symptom of the process, not of a server.

import { CounterFamily, HistogramFamily, SLIM_TIME_BUCKETS } from '../../src/plugin/metrics.ts'

export const probeDuration = new HistogramFamily(
  'coredns_health_request_duration_seconds',
  'Histogram of the time (in seconds) each request took.',
  [],
  SLIM_TIME_BUCKETS,
).child({})

export const probeFailures = new CounterFamily(
  'coredns_health_request_failures_total',
  'The number of times the health check failed.',
  [],
).child({})
