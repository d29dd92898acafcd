// node-cache's flags (kubernetes/dns cmd/node-cache/main.go), accepted beside CoreDNS's. Giving
// -localip switches tsdns into node-cache mode.

import { isIP } from 'node:net'
import { duration } from '../corefile/args.ts'
import { CorefileError } from '../corefile/errors.ts'
import { FlagError, type FlagSpec } from '../cli/flags.ts'

export const nodeCacheFlags = {
  localip: { names: ['localip'] },
  setupInterface: { names: ['setupinterface'], bool: true },
  interfaceName: { names: ['interfacename'] },
  interfaceType: { names: ['interfacetype'] },
  setupIptables: { names: ['setupiptables'], bool: true },
  syncInterval: { names: ['syncinterval'] },
  skipTeardown: { names: ['skipteardown'], bool: true },
  metricsListenAddress: { names: ['metrics-listen-address'] },
  prometheusListenAddress: { names: ['prometheus-listen-address'] },
  baseCorefile: { names: ['basecorefile'] },
  corefile: { names: ['corefile'] },
  kubednsCM: { names: ['kubednscm'] },
  upstreamSvc: { names: ['upstreamsvc'] },
  healthPort: { names: ['health-port'] },
  reloadWithSignal: { names: ['reloadwithsignal'], bool: true },
} as const satisfies Record<string, FlagSpec>

/** Link types that hold local addresses without carrying traffic; dummy is node-cache's. */
export const INTERFACE_TYPES = ['dummy', 'ifb', 'bridge', 'veth'] as const
export type InterfaceType = (typeof INTERFACE_TYPES)[number]

export interface NodeCacheParams {
  /** As given (rules and __PILLAR__LOCAL__DNS__ use the text), all of one family. */
  readonly localIPs: readonly string[]
  readonly family: 4 | 6
  /** The DNS port (-dns.port): rules and stubDomain blocks use it. */
  readonly localPort: number
  readonly healthPort: number
  readonly setupInterface: boolean
  readonly interfaceName: string
  readonly interfaceType: InterfaceType
  readonly setupIptables: boolean
  readonly syncIntervalMs: number
  readonly skipTeardown: boolean
  /** '' turns the listener off. */
  readonly metricsListenAddress: string
  /** Fills __PILLAR__PROMETHEUS__ENDPOINT__ (kubernetes-sigs/node-local-dns's node-cache). */
  readonly prometheusListenAddress: string
  readonly baseCorefile: string
  /** The generated Corefile tsdns serves: -conf, else -corefile. */
  readonly corefile: string
  /** '' means /etc/kube-dns if that exists, else no kube-dns ConfigMap. */
  readonly kubednsCM: string
  readonly upstreamSvc: string
  readonly reloadWithSignal: boolean
}

type Key = keyof typeof nodeCacheFlags

export function isNodeCacheMode(values: ReadonlyMap<string, string>): boolean {
  return values.has('localip' satisfies Key)
}

/** Validates the node-cache flags (node-cache's messages where it has them). */
export function parseNodeCacheFlags(
  values: ReadonlyMap<string, string>,
  localPort: number,
  conf: string | undefined,
): NodeCacheParams {
  const get = (k: Key, dflt: string) => values.get(k) ?? dflt
  const bool = (k: Key, dflt: boolean) => (values.has(k) ? values.get(k) === 'true' : dflt)

  const localIPs = get('localip', '').split(',')
  const families = localIPs.map((ip) => {
    const f = isIP(ip)
    if (f === 0) throw new FlagError(`invalid localip specified - "${ip}"`)
    return f as 4 | 6
  })
  const family = families[0]!
  const odd = localIPs.find((_, i) => families[i] !== family)
  if (odd !== undefined) {
    throw new FlagError(`unexpected IP Family for localIP - "${odd}", want IPv6=${family === 6}`)
  }

  const healthText = get('healthPort', '8080')
  const healthPort = Number(healthText)
  if (!/^\d+$/.test(healthText) || healthPort > 65535) {
    throw new FlagError(`invalid healthcheck port specified - "${healthText}"`)
  }

  const interfaceName = get('interfaceName', 'nodelocaldns')
  if (!/^[^\s/:]{1,15}$/.test(interfaceName)) {
    throw new FlagError(
      `invalid -interfacename "${interfaceName}": 1 to 15 characters, no spaces, '/' or ':'`)
  }
  const interfaceType = get('interfaceType', 'dummy')
  if (!(INTERFACE_TYPES as readonly string[]).includes(interfaceType)) {
    throw new FlagError(
      `invalid -interfacetype "${interfaceType}": expecting one of ${INTERFACE_TYPES.join(', ')}`)
  }

  return {
    localIPs,
    family,
    localPort,
    healthPort,
    setupInterface: bool('setupInterface', true),
    interfaceName,
    interfaceType: interfaceType as InterfaceType,
    setupIptables: bool('setupIptables', true),
    syncIntervalMs: syncInterval(get('syncInterval', '60')),
    skipTeardown: bool('skipTeardown', false),
    metricsListenAddress: get('metricsListenAddress', '0.0.0.0:9353'),
    prometheusListenAddress: get('prometheusListenAddress', ':9253'),
    baseCorefile: get('baseCorefile', '/etc/coredns/Corefile.base'),
    corefile: conf ?? get('corefile', '/etc/Corefile'),
    kubednsCM: get('kubednsCM', ''),
    upstreamSvc: get('upstreamSvc', 'kube-dns'),
    reloadWithSignal: bool('reloadWithSignal', false),
  }
}

/** setTimeout's limit. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A bare number is seconds, as node-cache's `-syncinterval 60` reads; a Go duration ("30s",
 * "500ms") is taken as written. (node-cache multiplies any duration by a second again.)
 */
function syncInterval(text: string): number {
  let ms: number
  if (/^\d+$/.test(text)) ms = Number(text) * 1000
  else {
    try {
      const token = { text, file: '-syncinterval', line: 1, col: 1, length: text.length }
      ms = duration(token, 'nodecache')
    } catch (err) {
      if (!(err instanceof CorefileError)) throw err
      throw new FlagError(`-syncinterval: ${err.detail} (or seconds)`)
    }
  }
  // under 1ms a timer fires at once: the sync would run iptables without pause
  if (!(ms >= 1) || ms > MAX_TIMER_MS) {
    throw new FlagError(`invalid value "${text}" for flag -syncinterval: expecting 1ms to 24 days`)
  }
  return ms
}
