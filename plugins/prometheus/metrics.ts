// The core server metrics (CoreDNS plugin/metrics/vars/vars.go and metrics.go): names, labels
// and buckets unchanged so dashboards and alerts keep working. `view` is always '' (no *view*).

import {
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  SIZE_BUCKETS,
  TIME_BUCKETS,
} from '../../src/plugin/metrics.ts'
import { version } from '../../src/cli/version.ts'

export const requests = new CounterFamily(
  'coredns_dns_requests_total',
  'Counter of DNS requests made per zone, protocol and family.',
  ['server', 'zone', 'view', 'proto', 'family', 'type'],
)

export const duration = new HistogramFamily(
  'coredns_dns_request_duration_seconds',
  'Histogram of the time (in seconds) each request took per zone.',
  ['server', 'zone', 'view'],
  TIME_BUCKETS,
)

export const requestSize = new HistogramFamily(
  'coredns_dns_request_size_bytes',
  'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.',
  ['server', 'zone', 'view', 'proto'],
  SIZE_BUCKETS,
)

export const doRequests = new CounterFamily(
  'coredns_dns_do_requests_total',
  'Counter of DNS requests with DO bit set per zone.',
  ['server', 'zone', 'view'],
)

export const responseSize = new HistogramFamily(
  'coredns_dns_response_size_bytes',
  'Size of the returned response in bytes.',
  ['server', 'zone', 'view', 'proto'],
  SIZE_BUCKETS,
)

export const responses = new CounterFamily(
  'coredns_dns_responses_total',
  'Counter of response status codes.',
  ['server', 'zone', 'view', 'rcode', 'plugin'],
)

export const pluginEnabled = new GaugeFamily(
  'coredns_plugin_enabled',
  'A metric that indicates whether a plugin is enabled on per server and zone basis.',
  ['server', 'zone', 'view', 'name'],
)

const buildInfo = new GaugeFamily(
  'coredns_build_info',
  "A metric with a constant '1' value labeled by version, revision, and goversion from which " +
    'CoreDNS was built.',
  ['version', 'revision', 'goversion'],
)
// tsdns runs on Node: goversion carries the Node version; no revision is stamped into the package.
buildInfo.child({ version, revision: '', goversion: process.version }).value = 1

