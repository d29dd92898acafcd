import { CounterFamily } from '../../src/plugin/metrics.ts'

export const blocked = new CounterFamily(
  'coredns_acl_blocked_requests_total',
  'Counter of DNS requests being blocked.',
  ['server', 'zone', 'view'],
)

export const filtered = new CounterFamily(
  'coredns_acl_filtered_requests_total',
  'Counter of DNS requests being filtered.',
  ['server', 'zone', 'view'],
)

export const allowed = new CounterFamily(
  'coredns_acl_allowed_requests_total',
  'Counter of DNS requests being allowed.',
  ['server', 'view'],
)

export const dropped = new CounterFamily(
  'coredns_acl_dropped_requests_total',
  'Counter of DNS requests being dropped.',
  ['server', 'zone', 'view'],
)
