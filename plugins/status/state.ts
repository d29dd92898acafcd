// What outlives a configuration: each block's stats (a reload keeps the windows, keyed by address
// and zones), the upstream readings, the Corefile in effect and the reload history. One ticker
// rotates them all every 10 s; it holds no process open.

import { readBounded } from '../../src/corefile/read.ts'
import { SearchPath } from './searchpath.ts'
import { BlockStats, SLICE_MS } from './stats.ts'
import { samplesOf, UpstreamHistory } from './upstreams.ts'

/** The Corefile shown is read again when a configuration starts, within this. */
const MAX_COREFILE_BYTES = 256 * 1024
const MAX_HISTORY = 20

export interface ReloadEvent {
  readonly at: string
  readonly event: 'started' | 'reloaded' | 'reload failed'
  readonly hash: string
}

export const state = {
  startedAt: Date.now(),
  blocks: new Map<string, BlockStats>(),
  upstreams: new UpstreamHistory(),
  corefile: '',
  hash: '',
  reloads: [] as ReloadEvent[],
}

let ticker: NodeJS.Timeout | undefined

/** coredns_reload_failed_total: a failed reload leaves no configuration start to see it by. */
function reloadsFailed(): number {
  let n = 0
  for (const samples of samplesOf('coredns_reload_failed_total')) for (const s of samples) n += s.value
  return n
}
let failedSeen = reloadsFailed()

function tick(): void {
  const now = Date.now()
  for (const b of state.blocks.values()) b.rotate(now)
  state.upstreams.tick()
  const failed = reloadsFailed()
  if (failed > failedSeen) {
    failedSeen = failed
    remember('reload failed', state.hash)
  }
}

function remember(event: ReloadEvent['event'], hash: string): void {
  state.reloads.push({ at: new Date().toISOString(), event, hash })
  if (state.reloads.length > MAX_HISTORY) state.reloads.shift()
}

/** The stats of a block on a server address, kept from the configuration before if it had them. */
export function blockStats(server: string, zones: readonly string[], search: SearchPath): BlockStats {
  const key = `${server} ${zones.join(' ')}`
  let b = state.blocks.get(key)
  if (b === undefined) state.blocks.set(key, (b = new BlockStats(server, zones, search)))
  b.search = search
  return b
}

/**
 * A configuration with status started: its blocks are the ones kept (a reload that dropped a
 * block drops its stats), `file` is read for the page, and the ticker runs.
 */
export function started(mine: ReadonlySet<BlockStats>, file: string, hash: string): void {
  for (const [k, b] of state.blocks) if (!mine.has(b)) state.blocks.delete(k)
  try {
    state.corefile = readBounded(file, MAX_COREFILE_BYTES)
  } catch (err) {
    state.corefile = `# ${file}: not readable (${(err as Error).message})`
  }
  remember(state.hash === '' && state.reloads.length === 0 ? 'started' : 'reloaded', hash)
  state.hash = hash
  if (ticker === undefined) {
    state.upstreams.tick()
    ticker = setInterval(tick, SLICE_MS).unref()
  }
}

/** The final stop (no configuration with status follows). */
export function stopped(): void {
  clearInterval(ticker)
  ticker = undefined
}
