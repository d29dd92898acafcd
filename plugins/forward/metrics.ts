// forward's metrics under CoreDNS's current names (plugin/pkg/proxy/metrics.go and
// plugin/forward/metrics.go), plus one tsdns counter for replies that were not accepted. As in
// CoreDNS, a labelled series shows from its first count; the two unlabelled counters from the
// start.

import { CounterFamily, HistogramFamily, TIME_BUCKETS } from '../../src/plugin/metrics.ts'

const lazy = { fromFirstUse: true }

export const requestDuration = new HistogramFamily(
  'coredns_proxy_request_duration_seconds',
  'Histogram of the time each request took.',
  ['proxy_name', 'to', 'rcode'],
  TIME_BUCKETS,
  lazy,
)

export const healthcheckFailures = new CounterFamily(
  'coredns_proxy_healthcheck_failures_total',
  'Counter of the number of failed healthchecks.',
  ['proxy_name', 'to'],
  lazy,
)

export const connCacheHits = new CounterFamily(
  'coredns_proxy_conn_cache_hits_total',
  'Counter of connection cache hits per upstream and protocol.',
  ['proxy_name', 'to', 'proto'],
  lazy,
)

export const connCacheMisses = new CounterFamily(
  'coredns_proxy_conn_cache_misses_total',
  'Counter of connection cache misses per upstream and protocol.',
  ['proxy_name', 'to', 'proto'],
  lazy,
)

export const healthcheckBroken = new CounterFamily(
  'coredns_forward_healthcheck_broken_total',
  'Counter of the number of complete failures of the healthchecks.',
  [],
)

export const maxConcurrentRejects = new CounterFamily(
  'coredns_forward_max_concurrent_rejects_total',
  'Counter of the number of queries rejected because the concurrent queries were at maximum.',
  [],
)

// Exported from the start (0), with or without *forward* in the Corefile, as CoreDNS's unlabelled
// counters are.
healthcheckBroken.child({})
maxConcurrentRejects.child({})

/** tsdns: reason is id, question or malformed (the kernel checks a UDP reply's source). */
export const droppedReplies = new CounterFamily(
  'coredns_forward_dropped_replies_total',
  'Counter of upstream replies dropped because their ID or question did not match a query.',
  ['to', 'reason'],
  lazy,
)

export type DropReason = 'id' | 'question' | 'malformed'

export const PROXY_NAME = 'forward'
