// CoreDNS's local metric (plugin/local/metrics.go): no `server` label, as in CoreDNS.

import { CounterFamily } from '../../src/plugin/metrics.ts'

const localhostRequests = new CounterFamily(
  'coredns_local_localhost_requests_total',
  'Counter of special localhost subdomain requests.',
  [],
)

/** Non-apex localhost queries answered (`x.localhost.`, and `localhost.x.` with the prefix on). */
export const localhostCount = localhostRequests.child({})
