// CoreDNS plugin/acl/metrics.go; a series shows from its first count, as CoreDNS's do.

import { CounterFamily } from '../../src/plugin/metrics.ts'

const lazy = { fromFirstUse: true }

export const blocked = new CounterFamily(
  'coredns_acl_blocked_requests_total',
  'Counter of DNS requests being blocked.',
  ['server', 'zone', 'view'],
  lazy,
)

export const filtered = new CounterFamily(
  'coredns_acl_filtered_requests_total',
  'Counter of DNS requests being filtered.',
  ['server', 'zone', 'view'],
  lazy,
)

export const allowed = new CounterFamily(
  'coredns_acl_allowed_requests_total',
  'Counter of DNS requests being allowed.',
  ['server', 'view'],
  lazy,
)

export const dropped = new CounterFamily(
  'coredns_acl_dropped_requests_total',
  'Counter of DNS requests being dropped.',
  ['server', 'zone', 'view'],
  lazy,
)
