// One running configuration: every server block parsed and set up, chains composed once per
// listen address, servers grouped by address (CoreDNS: one server per address, many zones).

import type { Directive, ServerBlock } from '../corefile/ast.ts'
import { CorefileError, CorefileErrors } from '../corefile/errors.ts'
import { listenKeys, type Transport } from '../corefile/keys.ts'
import { definition, isCoreDnsDirective, plugins, rank, unsupportedReason } from '../../plugins/order.ts'
import { logger } from '../plugin/log.ts'
import type { Handler, Hook, Plugin, Runtime, SetupContext, TcpOptions, TlsServing, ViewFilter } from '../plugin/plugin.ts'
import { DnsServer, type ServerObserver, type ServerOptions } from './server.ts'

export interface BuildOptions {
  readonly defaultPort: number
  /** Directory of the main Corefile: relative paths in plugins resolve against it. */
  readonly dir: string
  readonly observer?: ServerObserver
  readonly runtime?: Runtime
}

interface BlockPlan {
  readonly zones: readonly { zone: string; port: number; transport: Transport }[]
  readonly hosts: readonly string[]
  readonly chain: readonly Plugin[]
  readonly names: readonly string[]
  readonly allowOtherClasses: boolean
  readonly tcp: TcpOptions
  readonly tls: TlsServing | undefined
  readonly sockets: number | undefined
  readonly view: ViewFilter | undefined
}

export class Instance {
  readonly servers: readonly DnsServer[]
  readonly #life: Lifecycle
  #prepared: Promise<void> | undefined

  private constructor(servers: DnsServer[], life: Lifecycle) {
    this.servers = servers
    this.#life = life
  }

  /** Parses every plugin, then sets them up; throws every located error found. No sockets yet. */
  static build(blocks: readonly ServerBlock[], opts: BuildOptions): Instance {
    const life: Lifecycle = { prepare: [], startup: [], shutdown: [], lameduck: [], shared: new Map() }
    const errors: CorefileError[] = []
    const steps = blocks.map((block) => prepareBlock(block, opts, life, errors))
    if (errors.length === 1) throw errors[0]!
    if (errors.length > 1) throw new CorefileErrors(errors)
    const plans = steps.map((setup) => setup())
    return new Instance(compose(plans, opts.observer), life)
  }

  /** Values plugins registered with ctx.shared (a reload hands them to the next instance). */
  get shared(): ReadonlyMap<string, unknown> {
    return this.#life.shared
  }

  /** The prepare hooks, once (rejects with the first failure); startup runs them if nobody did. */
  prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      for (const fn of this.#life.prepare) await fn()
    })()
    return this.#prepared
  }

  async startup(): Promise<void> {
    await this.prepare()
    for (const fn of this.#life.startup) await fn()
  }

  /** The final stop's first step: every lameduck hook at once (the longest one sets the pace). */
  async lameduck(): Promise<void> {
    await Promise.all(this.#life.lameduck.map((fn) => run(fn, 'lameduck')))
  }

  async shutdown(): Promise<void> {
    for (const fn of this.#life.shutdown) await run(fn, 'shutdown')
  }

  /**
   * Startup lines as CoreDNS prints them: `.:53 on 169.254.20.10`, `tls://.:853`; with
   * multisocket, once per socket (CoreDNS starts a server per socket, each saying so).
   */
  describe(): string[] {
    return this.servers.flatMap((s) => {
      const scheme = s.transport === 'dns' ? '' : `${s.transport}://`
      const lines = s.zones.map((z) => `${scheme}${z}:${s.port}${s.host === '' ? '' : ` on ${s.host}`}`)
      return Array.from({ length: s.sockets }, () => lines).flat()
    })
  }
}

/** A failing hook is logged; the others still run. */
async function run(fn: Hook, what: string): Promise<void> {
  try {
    await fn()
  } catch (err) {
    logger().error(`${what}: ${String(err)}`)
  }
}

/** For instances built without a Runner (check, query): nothing to reload. */
const standalone: Runtime = {
  reloadIfChanged: async () => 'unchanged',
  hash: () => '',
  phase: () => 'serving',
}

interface Lifecycle {
  readonly prepare: Hook[]
  readonly startup: Hook[]
  readonly shutdown: Hook[]
  readonly lameduck: Hook[]
  readonly shared: Map<string, unknown>
}

/**
 * Checks a block's directives and parses each plugin's stanzas, collecting every error into
 * `errors` (so `tsdns check` shows them all); returns the setup step, run only when the whole
 * configuration parsed.
 */
function prepareBlock(
  block: ServerBlock,
  opts: BuildOptions,
  life: Lifecycle,
  errors: CorefileError[],
): () => BlockPlan {
  const keys = listenKeys(block, opts.defaultPort)
  const byName = new Map<string, Directive[]>()
  for (const d of block.directives) {
    const name = d.name.text
    if (!plugins.has(name)) {
      errors.push(
        isCoreDnsDirective(name)
          ? new CorefileError('COREFILE_UNSUPPORTED', d.name, unsupportedReason(name), name)
          : new CorefileError('COREFILE_UNKNOWN', d.name, `unknown directive '${name}'`),
      )
      continue
    }
    const list = byName.get(name) ?? []
    list.push(d)
    byName.set(name, list)
  }
  let hosts: readonly string[] = ['']
  let tcp: TcpOptions = {}
  let tls: TlsServing | undefined
  let sockets: number | undefined
  let view: ViewFilter | undefined
  const ctxFor = (name: string): SetupContext => ({
    block,
    zones: [...new Set(keys.map((k) => k.zone))],
    dir: opts.dir,
    log: logger(name),
    onPrepare: (fn) => void life.prepare.push(fn),
    onStartup: (fn) => void life.startup.push(fn),
    onShutdown: (fn) => void life.shutdown.push(fn),
    onLameduck: (fn) => void life.lameduck.push(fn),
    shared: <T>(key: string, create: () => T): T => {
      if (!life.shared.has(key)) life.shared.set(key, create())
      return life.shared.get(key) as T
    },
    listenOn: (h) => void (hosts = h),
    tcpOptions: (o) => void (tcp = { ...tcp, ...o }),
    tlsServing: (t) => void (tls = t),
    sockets: (n) => void (sockets = n),
    viewFilter: (v) => void (view = v),
    runtime: opts.runtime ?? standalone,
  })
  const parsed: Array<{ name: string; ctx: SetupContext; config: unknown }> = []
  for (const name of [...byName.keys()].sort((a, b) => rank(a) - rank(b))) {
    const def = definition(name)
    const stanzas = byName.get(name)!
    if (def.once && stanzas.length > 1) {
      errors.push(
        new CorefileError('COREFILE_SYNTAX', stanzas[1]!.name, 'this plugin can only be used once per Server Block', name),
      )
      continue
    }
    const ctx = ctxFor(name)
    try {
      parsed.push({ name, ctx, config: def.parse(stanzas, ctx) })
    } catch (err) {
      if (!(err instanceof CorefileError)) throw err
      errors.push(err)
    }
  }
  return () => {
    const chain: Plugin[] = []
    const names: string[] = []
    for (const { name, ctx, config } of parsed) {
      const link = definition(name).setup(config, ctx)
      if (link) {
        chain.push(link)
        names.push(name)
      }
    }
    return {
      zones: keys.map((k) => ({ zone: k.zone, port: k.port, transport: k.transport })),
      hosts,
      chain,
      names,
      allowOtherClasses: byName.has('forward') || byName.has('chaos'),
      tcp,
      tls,
      sockets,
      view,
    }
  }
}

function compose(plans: readonly BlockPlan[], observer: ServerObserver | undefined): DnsServer[] {
  // First pass: which addresses exist, whether any block there lets other classes through, and
  // the TCP limits its blocks set (CoreDNS: one server per address takes them from its zones).
  // The first block on an address sets its socket count (multisocket); the first with tls, its
  // certificate (CoreDNS takes one of them, in map order).
  const addrs = new Map<string, ServerOptions>()
  for (const p of plans) {
    for (const { port, transport } of p.zones) {
      for (const host of p.hosts) {
        const k = `${transport}|${host}|${port}`
        const a = addrs.get(k)
        addrs.set(k, {
          transport, host, port,
          allowOtherClasses: (a?.allowOtherClasses ?? false) || p.allowOtherClasses,
          tcp: { ...a?.tcp, ...p.tcp },
          tls: transport === 'tls' ? a?.tls ?? p.tls : undefined, // ignored in dns:// (CoreDNS)
          sockets: a ? a.sockets : p.sockets,
          observer,
        })
      }
    }
  }
  const servers = new Map([...addrs].map(([k, a]) => [k, new DnsServer(a)]))
  for (const p of plans) {
    for (const host of p.hosts) {
      const chains = new Map<DnsServer, Handler | undefined>()
      for (const { zone, port, transport } of p.zones) {
        const server = servers.get(`${transport}|${host}|${port}`)!
        if (!chains.has(server)) {
          let h: Handler | undefined
          const info = {
            server: server.label,
            zones: p.zones.map((z) => z.zone),
            plugins: p.names,
            view: p.view?.name ?? '',
          }
          for (let i = p.chain.length - 1; i >= 0; i--) h = p.chain[i]!(h, info)
          chains.set(server, h)
        }
        server.addZone(zone, chains.get(server), p.view)
      }
    }
  }
  return [...servers.values()]
}
