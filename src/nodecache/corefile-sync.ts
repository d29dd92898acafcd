// Keeps the generated Corefile current (configmap.go updateCorefile / initDNSConfigSync): written
// from -basecorefile at start, and again whenever the template's directory or the kube-dns
// ConfigMap directory changes. Applying it is the *reload* plugin's job, or SIGUSR1 to ourselves
// with -reloadwithsignal.

import { existsSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { readBounded } from '../corefile/read.ts'
import { logger } from '../plugin/log.ts'
import type { Cell } from '../plugin/metrics.ts'
import { DirSync } from './dir-sync.ts'
import type { NodeCacheParams } from './flags.ts'
import { EMPTY_KUBE_DNS, parseKubeDnsConfig, type KubeDnsConfig } from './kubedns.ts'
import type { ErrorType } from './metrics.ts'
import { clusterDnsFromEnv, renderCorefile } from './pillar.ts'

const log = logger()

/** node-cache's DefaultConfigSyncPeriod, and kube-dns' ConfigPeriod. */
const CONFIG_SYNC_PERIOD_MS = 10_000
const DEFAULT_KUBEDNS_CM_PATH = '/etc/kube-dns'

export class CorefileSync {
  readonly #p: NodeCacheParams
  readonly #configmapErrors: Cell
  readonly #clusterDns: string | undefined
  readonly #periodMs: number
  readonly #syncs: DirSync[] = []
  #kubeDns: KubeDnsConfig = EMPTY_KUBE_DNS
  /** Set once the server listens: from then on a rewrite is applied by SIGUSR1 if asked to. */
  serving = false

  constructor(p: NodeCacheParams, errors: Readonly<Record<ErrorType, Cell>>,
    env: NodeJS.ProcessEnv = process.env, periodMs = CONFIG_SYNC_PERIOD_MS) {
    this.#p = p
    this.#configmapErrors = errors.configmap
    this.#periodMs = periodMs
    const { name, ip } = clusterDnsFromEnv(p.upstreamSvc, env)
    this.#clusterDns = ip
    if (ip === undefined) {
      log.warning(`Unable to lookup IP address of Upstream service ${p.upstreamSvc}, ` +
        `env ${name} \`${env[name] ?? ''}\``)
    }
  }

  /** Writes the Corefile and starts watching both directories. */
  start(): void {
    const onError = (err: Error) => log.error(`Failed to sync config directory: ${err.message}`)
    const kubeDir = this.#p.kubednsCM !== ''
      ? this.#p.kubednsCM
      : existsSync(DEFAULT_KUBEDNS_CM_PATH) ? DEFAULT_KUBEDNS_CM_PATH : ''
    if (kubeDir === '') log.info('Skipping kube-dns configmap sync as no directory was specified')
    else {
      const onChange = (data: ReadonlyMap<string, string>) => this.#kubeDnsChanged(data)
      const kube = new DirSync(kubeDir, this.#periodMs, onChange, onError)
      const data = kube.poll()
      if (data !== undefined) this.#setKubeDns(data)
      this.#syncs.push(kube)
    }
    const baseDir = dirname(this.#p.baseCorefile)
    const base = new DirSync(baseDir, this.#periodMs, () => this.update(), onError)
    base.poll()
    this.#syncs.push(base)
    this.update()
    for (const s of this.#syncs) s.start()
  }

  stop(): void {
    for (const s of this.#syncs) s.stop()
  }

  #setKubeDns(data: ReadonlyMap<string, string>): boolean {
    try {
      this.#kubeDns = parseKubeDnsConfig(data)
      return true
    } catch (err) {
      log.error(`Invalid config: ${(err as Error).message}`)
      this.#configmapErrors.value++
      return false
    }
  }

  #kubeDnsChanged(data: ReadonlyMap<string, string>): void {
    if (this.#setKubeDns(data)) this.update()
  }

  /** Renders and writes the Corefile; true when its text changed. */
  update(): boolean {
    const { baseCorefile, corefile } = this.#p
    let base: string
    try {
      // a regular file of at most 1 MiB (a ConfigMap's limit, and any Corefile's), never waited on
      base = readBounded(baseCorefile)
    } catch (err) {
      log.error(`Failed to read node-cache coreFile ${baseCorefile} - ${(err as Error).message}`)
      this.#configmapErrors.value++
      return false
    }
    const out = renderCorefile(base, {
      localIPs: this.#p.localIPs,
      localPort: this.#p.localPort,
      clusterDns: this.#clusterDns,
      kubeDns: this.#kubeDns,
      prometheusEndpoint: this.#p.prometheusListenAddress,
    })
    for (const w of out.warnings) log.warning(w)
    if (current(corefile) === out.text) return false
    try {
      writeFileSync(corefile, out.text)
    } catch (err) {
      log.error(`Failed to write config file ${corefile} - ${(err as Error).message}`)
      this.#configmapErrors.value++
      return false
    }
    log.info(`Updated Corefile with ${this.#kubeDns.stubDomains.size} custom stubdomains ` +
      `and upstream servers ${out.upstreamServers}`)
    log.info(`Using config file:\n${out.text}`)
    // before serving, the server reads the fresh file anyway (and SIGUSR1 would kill it)
    if (this.serving && this.#p.reloadWithSignal) {
      log.info(`Sending reload signal to PID ${process.pid}`)
      process.kill(process.pid, 'SIGUSR1')
    }
    return true
  }
}

function current(path: string): string | undefined {
  try {
    return readBounded(path)
  } catch {
    return undefined
  }
}
