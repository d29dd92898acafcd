import { CounterFamily } from '../../src/plugin/metrics.ts'

export const translated = new CounterFamily(
  'coredns_dns64_requests_translated_total',
  'Counter of DNS requests translated by dns64.',
  ['server'],
  { fromFirstUse: true }, // as CoreDNS's: shown from the first translation
)
