// CoreDNS's template metrics, same names, help and labels (plugin/template/metrics.go). tsdns has
// no views: `view` is always "".
// The class and type labels come from the query, so a client could mint 65536 x 65536 values:
// as in CoreDNS (templateData reads miekg's ClassToString and TypeToString maps), a class or type
// without a mnemonic is "" (rrtype.ts), which bounds each family to zones x 7 classes x ~100 types.

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
