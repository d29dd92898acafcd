// local: answers the names that must never leave the host (CoreDNS plugin/local): localhost and
// the zones 0., 127. and 255.in-addr.arpa, plus any name under .localhost. (RFC 6761) and, unless
// `localhost_prefix off`, any name starting with localhost. (the legacy `localhost.<domain>`).
// Replies are SetReply replies (no AA), every record with TTL 604800; names are written as the
// client sent them.

import { packetName, replyMsg } from '../../src/plugin/msg.ts'
import { nextOrFailure, type Handler, type Msg, type Request } from '../../src/plugin/plugin.ts'
import { Rcode } from '../../src/plugin/rcode.ts'
import { Type, typeName } from '../../src/plugin/rrtype.ts'
import { matchZone } from '../../src/plugin/zones.ts'
import type { Logger } from '../../src/plugin/log.ts'
import { isDebug } from '../../src/plugin/log.ts'
import { localhostCount } from './metrics.ts'

const ZONES = ['localhost.', '0.in-addr.arpa.', '127.in-addr.arpa.', '255.in-addr.arpa.']
const LOOPBACK_PTR = '1.0.0.127.in-addr.arpa.'
const TTL = 604800

export interface LocalOptions {
  /** `localhost_prefix on` (CoreDNS's default): `localhost.<domain>` is answered too. */
  readonly localhostPrefix: boolean
}

type Records = NonNullable<Msg['answers']>

/** One record of `owner`, class IN, TTL 604800. */
function record(owner: string, type: string, data: unknown): Records[number] {
  return { name: packetName(owner), type, class: 'IN', ttl: TTL, data } as Records[number]
}

function soa(owner: string): Records {
  const data = {
    mname: 'localhost',
    rname: 'root.localhost',
    serial: 1,
    refresh: 0,
    retry: 0,
    expire: 0,
    minimum: TTL,
  }
  return [record(owner, 'SOA', data)]
}

/** A (127.0.0.1) or AAAA (::1) for `owner`, or undefined for any other type. */
function loopback(owner: string, type: number): Records | undefined {
  if (type === Type.A) return [record(owner, 'A', '127.0.0.1')]
  if (type === Type.AAAA) return [record(owner, 'AAAA', '::1')]
  return undefined
}

/** `x.localhost.` or `localhost.x.`: the loopback address, NODATA with an SOA for `x` otherwise. */
function localhostReply(r: Request): Msg {
  const m = replyMsg(r)
  const answer = loopback(r.qname, r.type)
  if (answer) m.answers = answer
  else m.authorities = soa(r.qname)
  return m
}

/** A query in ZONES: the apexes and 1.0.0.127.in-addr.arpa. exist, any other name is NXDOMAIN. */
function zoneReply(r: Request, zoneLength: number): Msg {
  const m = replyMsg(r)
  const qname = r.qname
  // the zone as the client spelled it
  const zone = qname.slice(qname.length - zoneLength)
  if (r.name.length === zoneLength) {
    const address = r.name === 'localhost.' ? loopback(qname, r.type) : undefined
    if (address) m.answers = address
    else if (r.type === Type.SOA) m.answers = soa(qname)
    else if (r.type === Type.NS) m.answers = [record(qname, 'NS', 'localhost')]
    else m.authorities = soa(qname)
  } else if (r.name === LOOPBACK_PTR) {
    if (r.type === Type.PTR) m.answers = [record(qname, 'PTR', 'localhost')]
    else m.authorities = soa(zone)
  } else {
    m.authorities = soa(zone)
    m.flags! |= Rcode.NXDomain
  }
  return m
}

export function localHandler(opts: LocalOptions, log: Logger, next: Handler | undefined): Handler {
  const prefix = opts.localhostPrefix
  return {
    name: 'local',
    serveDNS(ctx, w, r) {
      const name = r.name
      // CoreDNS tests the suffix and prefix on the lowercased name as text, as done here
      const special = name.endsWith('.localhost.') || (prefix && name.startsWith('localhost.'))
      if (special && name.length > 10) {
        if (isDebug()) {
          const type = typeName(r.type)
          log.debug(`Intercepting localhost query for "${name}" ${type}, from ${w.remote.address}`)
        }
        localhostCount.value++
        w.writeMsg(localhostReply(r), 'local')
        return 0
      }
      // most queries leave here after four string comparisons
      const maybe = name.endsWith('.arpa.') || name === 'localhost.'
      const zone = maybe ? matchZone(ZONES, name) : undefined
      if (zone === undefined) return nextOrFailure('local', next, ctx, w, r)
      w.writeMsg(zoneReply(r, zone.length), 'local')
      return 0
    },
  }
}
