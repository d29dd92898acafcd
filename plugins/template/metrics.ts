// CoreDNS's template metrics, same names, help and labels (plugin/template/metrics.go). tsdns has
// no views: `view` is always "".
// The class and type labels come from the query, so a client could mint 65536 x 65536 values:
// as in CoreDNS (templateData reads miekg's ClassToString and TypeToString maps), a class or type
// without a mnemonic is "", which bounds each family to zones x 7 classes x ~100 types.

import { CounterFamily } from '../../src/plugin/metrics.ts'
import { className, typeName } from '../../src/plugin/rrtype.ts'

/** The class's mnemonic (IN, CH, HS, NONE, ANY...), "" for one without (CoreDNS .Class). */
export function classMnemonic(klass: number): string {
  const s = className(klass)
  return s.startsWith('CLASS') ? '' : s
}

/** The type's mnemonic (A, HTTPS, URI...), "" for one without (CoreDNS .Type). */
export function typeMnemonic(type: number): string {
  const s = typeName(type)
  return s.startsWith('TYPE') ? '' : s
}

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
