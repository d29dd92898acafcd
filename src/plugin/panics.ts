// coredns_panics_total (CoreDNS plugin/metrics/vars Panic): counted by whoever recovers one (the
// server's observer, the errors plugin), so it lives with neither.

import { CounterFamily } from './metrics.ts'

/** Process-wide, no labels: exported from the start, as CoreDNS's promauto counter is. */
export const panics = new CounterFamily(
  'coredns_panics_total',
  'A metrics that counts the number of panics.',
  [],
).child({})
