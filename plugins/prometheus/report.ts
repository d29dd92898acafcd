// One (server, zone)'s cells, bound once; a query costs array lookups and number increments
// (CoreDNS plugin/metrics/vars/report.go). Cells for a label value appear on first use, so a scrape
// shows only the label sets that were seen, as with CoreDNS.

import type { Cell, HistogramCell } from '../../src/plugin/metrics.ts'
import type { Request } from '../../src/plugin/plugin.ts'
import { rcodeName } from '../../src/plugin/rcode.ts'
import { Type } from '../../src/plugin/rrtype.ts'
import { doRequests, duration, requests, requestSize, responses, responseSize } from './metrics.ts'

/** The query types CoreDNS labels by name; every other type is "other" (vars/monitor.go). */
// prettier-ignore
const MONITORED = [
  'A', 'AAAA', 'CNAME', 'DNSKEY', 'DS', 'MX', 'NSEC3', 'NSEC', 'NS', 'PTR', 'RRSIG', 'SOA', 'SRV',
  'TXT', 'HTTPS', 'SVCB', 'IXFR', 'AXFR', 'ANY',
] as const
const TYPE_LABELS = [...MONITORED, 'other']
/** qtype → index in TYPE_LABELS. */
const typeIndex = new Uint8Array(65536).fill(MONITORED.length)
MONITORED.forEach((name, i) => (typeIndex[Type[name]] = i))

/** CoreDNS's rcode.ToString: the mnemonic, or RCODE<n> for unassigned codes. */
export function rcodeLabel(rcode: number): string {
  const name = rcodeName(rcode)
  return /^\d/.test(name) ? `RCODE${rcode}` : name
}

export class ZoneReport {
  readonly server: string
  readonly zone: string
  readonly view: string
  /** Bound on first use: CoreDNS exports no duration series for a zone before its first query. */
  #duration: HistogramCell | undefined
  #do: Cell | undefined
  /** By proto (0 udp, 1 tcp). */
  readonly #requestSize: (HistogramCell | undefined)[] = []
  readonly #responseSize: (HistogramCell | undefined)[] = []
  /** By (proto, family) slot, then type index. */
  readonly #requests: (Cell | undefined)[][] = [[], [], [], []]
  /** By plugin, then rcode. */
  readonly #responses = new Map<string, (Cell | undefined)[]>()

  constructor(server: string, zone: string, view = '') {
    this.server = server
    this.zone = zone
    this.view = view
  }

  /**
   * One answered query: `rcode` as written (or as returned when nothing was written), `plugin` the
   * writer ('' for the server), `size` the reply's length (0 when nothing was written).
   */
  record(
    r: Request,
    family: 4 | 6,
    rcode: number,
    plugin: string,
    size: number,
    seconds: number,
  ): void {
    const tcp = r.proto === 'tcp' ? 1 : 0
    const slot = this.#requests[tcp * 2 + (family === 6 ? 1 : 0)]!
    const t = typeIndex[r.type]!
    ;(slot[t] ??= this.#requestCell(r.proto, family, t)).value++
    if (r.do) (this.#do ??= this.#doCell()).value++
    ;(this.#duration ??= this.#durationCell()).observe(seconds)
    ;(this.#requestSize[tcp] ??= this.#sizeCell(requestSize, r.proto)).observe(r.wire.length)
    ;(this.#responseSize[tcp] ??= this.#sizeCell(responseSize, r.proto)).observe(size)
    let byRcode = this.#responses.get(plugin)
    if (byRcode === undefined) this.#responses.set(plugin, (byRcode = []))
    ;(byRcode[rcode] ??= this.#responseCell(rcode, plugin)).value++
  }

  #requestCell(proto: 'udp' | 'tcp', family: 4 | 6, t: number): Cell {
    const { server, zone, view } = this
    const type = TYPE_LABELS[t]!
    return requests.child({ server, zone, view, proto, family: family === 6 ? '2' : '1', type })
  }

  #durationCell(): HistogramCell {
    return duration.child({ server: this.server, zone: this.zone, view: this.view })
  }

  #doCell(): Cell {
    return doRequests.child({ server: this.server, zone: this.zone, view: this.view })
  }

  #sizeCell(family: typeof requestSize, proto: 'udp' | 'tcp'): HistogramCell {
    return family.child({ server: this.server, zone: this.zone, view: this.view, proto })
  }

  #responseCell(rcode: number, plugin: string): Cell {
    const { server, zone, view } = this
    return responses.child({ server, zone, view, rcode: rcodeLabel(rcode), plugin })
  }
}
