// reload: re-read the Corefile every INTERVAL ± JITTER and reload when its parsed form changed
// (CoreDNS plugin/reload). The new configuration is built beside the old one on the same sockets.

import type { Directive } from '../../src/corefile/ast.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { args, duration, noOptions } from '../../src/corefile/args.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { reloadFailed, versionInfo } from './metrics.ts'

export interface ReloadConfig {
  readonly intervalMs: number
  readonly jitterMs: number
}

const MIN_INTERVAL_MS = 2000
const MIN_JITTER_MS = 1000

export function parseReload(stanzas: readonly Directive[]): ReloadConfig {
  const d = stanzas[0]!
  noOptions(d, 'reload')
  const [i, j] = args(d, 0, 2, 'reload')
  const intervalMs = i ? duration(i, 'reload') : 30_000
  let jitterMs = j ? duration(j, 'reload') : 15_000
  if (i && intervalMs < MIN_INTERVAL_MS) {
    throw new CorefileError('COREFILE_VALUE', i, `interval value must be greater or equal to 2s`, 'reload')
  }
  if (j && jitterMs !== 0 && jitterMs < MIN_JITTER_MS) {
    throw new CorefileError('COREFILE_VALUE', j, `jitter value must be greater or equal to 1s`, 'reload')
  }
  // CoreDNS caps the jitter at half the interval.
  if (jitterMs > intervalMs / 2) jitterMs = intervalMs / 2
  return { intervalMs, jitterMs }
}

/**
 * The wait before a check: INTERVAL moved by up to half of JITTER either way, as CoreDNS does
 * (rand.Int63n(j) - j/2); `r` is a random number in [0, 1).
 */
export function checkEvery(cfg: ReloadConfig, r: number): number {
  return cfg.intervalMs + (r - 0.5) * cfg.jitterMs
}

/**
 * As CoreDNS, version_info names a configuration only once this plugin has reloaded to it: not
 * at start, not after SIGUSR1 (CoreDNS sets it in its check loop, after the restart).
 */
function showVersion(hash: string): void {
  versionInfo.reset()
  versionInfo.child({ hash: 'sha512', value: hash }).value = 1
}

export default definePlugin<ReloadConfig>({
  name: 'reload',
  once: true,
  parse: parseReload,
  setup(cfg, ctx) {
    // One watcher per configuration, whichever blocks name reload (CoreDNS: the first wins).
    const state = ctx.shared('reload', () => ({ timer: undefined as NodeJS.Timeout | undefined }))
    ctx.onStartup(() => {
      if (state.timer) return
      ctx.log.info(`Running configuration SHA512 = ${ctx.runtime.hash()}`)
      const tick = () => {
        const wait = checkEvery(cfg, Math.random())
        state.timer = setTimeout(() => {
          void ctx.runtime.reloadIfChanged().then((outcome) => {
            if (outcome === 'failed') reloadFailed.value++
            if (outcome === 'reloaded') showVersion(ctx.runtime.hash())
            if (outcome !== 'reloaded') tick() // else the new instance's own reload takes over
          })
        }, wait)
        state.timer.unref()
      }
      tick()
    })
    ctx.onShutdown(() => {
      clearTimeout(state.timer)
      state.timer = undefined
    })
    return undefined
  },
})
