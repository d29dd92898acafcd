// CoreDNS's hosts metrics (plugin/hosts/metrics.go): names, help and labels unchanged.

import { GaugeFamily } from '../../src/plugin/metrics.ts'

export const entries = new GaugeFamily(
  'coredns_hosts_entries',
  'The combined number of entries in hosts and Corefile.',
  ['hostsfile'],
)

export const reloadTimestamp = new GaugeFamily(
  'coredns_hosts_reload_timestamp_seconds',
  'The timestamp of the last reload of hosts file.',
  [],
)
// Exported from the start (0), with or without *hosts* in the Corefile, as CoreDNS's unlabelled
// gauge is.
reloadTimestamp.child({})
