import { CounterFamily, GaugeFamily } from '../../src/plugin/metrics.ts'

/** Exported from the start at 0, with or without *reload* in the Corefile, as CoreDNS's is. */
export const reloadFailed = new CounterFamily(
  'coredns_reload_failed_total',
  'Counter of the number of failed reload attempts.',
  [],
).child({})

export const versionInfo = new GaugeFamily(
  'coredns_reload_version_info',
  'A metric with a constant \'1\' value labeled by hash, and value which type of hash generated.',
  ['hash', 'value'],
)
