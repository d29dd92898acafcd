// node-cache's network setup (cache_app.go setupNetworking / runPeriodic / TeardownNetworking):
// ensure every rule and the interface, count what fails by type, repeat every sync interval, and
// at teardown remove the rules, then the interface. Operations are queued one after another, so
// a sync in flight can never put back a rule that teardown just removed. A graceful stop hands
// the Service IP back to kube-proxy first (handOver): see README "Rollouts".

import { logger } from '../plugin/log.ts'
import type { Cell } from '../plugin/metrics.ts'
import type { NodeCacheParams } from './flags.ts'
import { describeRule, Iptables, IptablesError, nodeCacheRules, type Rule } from './iptables.ts'
import type { ErrorType } from './metrics.ts'
import { Netif, NetifError } from './netif.ts'

const log = logger()

/** node-cache's words: "Error checking/adding iptables rule {...}, error - <cause>". */
export function iptablesFailureLine(what: string, err: unknown): string {
  return `${what}, error - ${err instanceof Error ? err.message : String(err)}`
}

export class NodeNetworking {
  readonly #p: NodeCacheParams
  readonly #errors: Readonly<Record<ErrorType, Cell>>
  readonly #rules: readonly Rule[]
  readonly #iptables: Iptables
  readonly #netif: Netif
  #queue: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(p: NodeCacheParams, errors: Readonly<Record<ErrorType, Cell>>) {
    this.#p = p
    this.#errors = errors
    this.#rules = nodeCacheRules(p.localIPs, p.localPort, p.healthPort)
    this.#iptables = new Iptables(p.family)
    this.#netif = new Netif(p.interfaceName, p.interfaceType, p.localIPs, p.family)
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op)
    this.#queue = run.catch(() => {})
    return run
  }

  /**
   * Before serving: the interface only, so no rule points at a server that fails to start.
   * Throws when the link type does not exist here (no later sync could fix that).
   */
  setupInterface(): Promise<void> {
    return this.#enqueue(() => this.#ensureInterface(true))
  }

  /** Once listening, and then every sync interval: rules, then the interface. */
  start(): Promise<void> {
    return this.#enqueue(() => this.#pass())
  }

  async #pass(): Promise<void> {
    if (this.#stopped) return
    try {
      await this.#ensureAll()
    } finally {
      if (!this.#stopped) {
        const next = () => void this.#enqueue(() => this.#pass())
        this.#timer = setTimeout(next, this.#p.syncIntervalMs)
      }
    }
  }

  async #ensureAll(): Promise<void> {
    if (this.#p.setupIptables) for (const r of this.#rules) await this.#ensureRule(r)
    await this.#ensureInterface(false)
  }

  async #ensureRule(r: Rule): Promise<void> {
    try {
      const existed = await this.#iptables.ensure(r)
      if (existed) log.debug(`iptables rule ${describeRule(r)} for nodelocaldns already exists`)
      else log.info(`Added back nodelocaldns rule - ${describeRule(r)}`)
    } catch (err) {
      this.#iptablesFailed(`Error checking/adding iptables rule ${describeRule(r)}`, err)
    }
  }

  /** Counted by type; logged as node-cache does since it counts both types alike. */
  #iptablesFailed(what: string, err: unknown): void {
    this.#errors[err instanceof IptablesError ? err.type : 'iptables'].value++
    log.error(iptablesFailureLine(what, err))
  }

  async #ensureInterface(fatal: boolean): Promise<void> {
    if (!this.#p.setupInterface) return
    const name = this.#p.interfaceName
    try {
      if (!(await this.#netif.ensure())) log.info(`Added interface - ${name}`)
    } catch (err) {
      const type = err instanceof NetifError ? err.type : 'interface_check'
      this.#errors[type].value++
      if (fatal && err instanceof NetifError && err.unknownType) throw err
      log.error(type === 'interface_add'
        ? `Failed to add non-existent interface ${name}: ${(err as Error).message}`
        : `Error checking dummy device ${name} - ${(err as Error).message}`)
    }
  }

  /**
   * Graceful stop, before the lameduck: stops the sync (one in flight finishes first), then
   * removes the rules that keep queries from kube-proxy's DNAT. New queries to a Service IP then
   * reach kube-dns, while the local IPs and the other rules stay, so that what tsdns already
   * holds is still answered from the address it was asked on. teardown() removes the rest.
   */
  handOver(): Promise<void> {
    this.stop()
    return this.#enqueue(async () => {
      if (!this.#p.setupIptables) return
      log.info('Handing the local IPs over: new queries to a Service IP go to its endpoints')
      await this.#removeRules(this.#rules.filter((r) => r.skipsDnat))
    })
  }

  /** Stops the periodic sync (waits for one in flight), removes the rules, then the interface. */
  teardown(): Promise<void> {
    this.stop()
    return this.#enqueue(async () => {
      log.info('Tearing down')
      if (this.#p.setupIptables) await this.#removeRules(this.#rules)
      if (this.#p.setupInterface) {
        try {
          if (await this.#netif.remove()) log.info(`Removed interface - ${this.#p.interfaceName}`)
        } catch (err) {
          const why = (err as Error).message
          log.error(`Failed to remove interface ${this.#p.interfaceName}: ${why}`)
        }
      }
    })
  }

  /** Every copy of each rule; one already gone (handOver, an operator) is no error. */
  async #removeRules(rules: readonly Rule[]): Promise<void> {
    for (const r of rules) {
      try {
        const copies = await this.#iptables.remove(r)
        if (copies > 0) log.info(`Removed nodelocaldns rule - ${describeRule(r)}`)
      } catch (err) {
        this.#iptablesFailed(`Failed deleting iptables rule ${describeRule(r)}`, err)
      }
    }
  }

  /** Stops the periodic sync; what is in flight finishes. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    return this.#enqueue(async () => {})
  }
}
