// status [ADDRESS] { search SUFFIX... }: a tsdns plugin (CoreDNS has no such directive). Who is
// querying, what fails, where it goes, per server block, on /status.json and /status.

import { isIP } from 'node:net'
import type { Directive } from '../../src/corefile/ast.ts'
import { args, unknownProperty } from '../../src/corefile/args.ts'
import { normalizeZones } from '../../src/corefile/keys.ts'
import type { Logger } from '../../src/plugin/log.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { httpAddress, httpEndpoints, splitHostPort, type HttpReply } from '../../src/server/http.ts'
import { StatusHandler } from './handler.ts'
import { statusModel } from './model.ts'
import { PAGE } from './page.ts'
import { DEFAULT_SUFFIXES, SearchPath } from './searchpath.ts'
import { blockStats, started, stopped } from './state.ts'
import type { BlockStats } from './stats.ts'

export interface StatusConfig {
  readonly address: string
  readonly search: readonly string[]
}

const DEFAULT_ADDRESS = '127.0.0.1:9154'
const NAME = 'status'

/** A host only this node's own processes reach (not pods, not the network). */
function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1'
}

function warnIfReachable(address: string, log: Logger): void {
  const hp = splitHostPort(address)
  if (typeof hp === 'string' || isLoopback(hp.host)) return
  log.warning(`listening on ${address}: client addresses and the names they query are visible to ` +
    `anyone who reaches it, pods included; bind it to 127.0.0.1`)
}

function parseStatus(stanzas: readonly Directive[], ctx: { log: Logger }): StatusConfig {
  const d = stanzas[0]!
  const [addr] = args(d, 0, 1, NAME)
  let search = DEFAULT_SUFFIXES
  for (const opt of d.block ?? []) {
    if (opt.name.text !== 'search') throw unknownProperty(opt, NAME)
    search = normalizeZones(args(opt, 1, Infinity, NAME), NAME)
  }
  const address = addr ? httpAddress(addr, NAME) : DEFAULT_ADDRESS
  warnIfReachable(address, ctx.log)
  return { address, search }
}

/** The model rendered at most once a second, however many clients ask. */
const FRESH_MS = 1000
let rendered: { at: number; body: string } | undefined

function json(): HttpReply {
  const now = Date.now()
  if (rendered === undefined || now - rendered.at >= FRESH_MS) {
    rendered = { at: now, body: JSON.stringify(statusModel(now)) }
  }
  return { status: 200, type: 'application/json; charset=utf-8', body: rendered.body }
}

function page(): HttpReply {
  return { status: 200, type: 'text/html; charset=utf-8', body: PAGE }
}

export default definePlugin<StatusConfig>({
  name: NAME,
  once: true,
  parse: parseStatus,
  setup(cfg, ctx) {
    const endpoints = httpEndpoints(ctx)
    endpoints.route(cfg.address, '/status.json', json)
    endpoints.route(cfg.address, '/status', page)
    const mine = ctx.shared(NAME, () => {
      const blocks = new Set<BlockStats>()
      const file = ctx.block.keys[0]?.file ?? ''
      ctx.onStartup(() => started(blocks, file, ctx.runtime.hash()))
      ctx.onShutdown(() => {
        if (ctx.runtime.phase() === 'stopping') stopped()
      })
      return blocks
    })
    const search = new SearchPath(cfg.search)
    return (next, chain) => {
      const stats = blockStats(chain.server, chain.zones, search)
      mine.add(stats)
      return new StatusHandler(next, stats)
    }
  },
})
