// What never reaches a chain (no zone matched, a class the server refuses) is counted under the
// zone "dropped" (no closing dot: never a real zone), and recovered panics in coredns_panics_total,
// whether or not any block loads prometheus (CoreDNS core/dnsserver/server.go).

import type { ServerObserver } from '../../src/server/server.ts'
import { panics } from '../../src/plugin/panics.ts'
import { ZoneReport } from './report.ts'

const dropped = new Map<string, ZoneReport>()

export const serverObserver: ServerObserver = {
  dropped(server, req, _proto, family, rcode, size) {
    let z = dropped.get(server)
    if (z === undefined) dropped.set(server, (z = new ZoneReport(server, 'dropped')))
    z.record(req, family, rcode, '', size, 0)
  },
  panic() {
    panics.value++
  },
}
