// CoreDNS's template metrics, same names, help and labels (plugin/template/metrics.go). tsdns has
// no views: `view` is always "".

import { CounterFamily } from '../../src/plugin/metrics.ts'

export const matches = new CounterFamily(
  'coredns_template_matches_total',
  'Counter of template regex matches.',
  ['server', 'zone', 'view', 'class', 'type'],
)

const failureLabels = ['server', 'zone', 'view', 'class', 'type', 'section', 'template'] as const

export const templateFailures = new CounterFamily(
  'coredns_template_template_failures_total',
  'Counter of go template failures.',
  failureLabels,
)

export const rrFailures = new CounterFamily(
  'coredns_template_rr_failures_total',
  'Counter of mis-templated RRs.',
  failureLabels,
)
