// SIGUSR1 is CoreDNS's reload, never Node's "open an inspector" nor its default "terminate".
// Every launcher starts Node with --disable-sigusr1, so no signal opens an inspector; main.ts
// holds the signal before anything else loads, so one arriving while tsdns starts (or during
// check, fmt, query) is remembered instead of taking the process down; serve() takes it over
// once serving and runs one reload if any came before, because the Corefile it loaded may have
// changed between that read and the signal.
//
// Node 24 blocks SIGUSR1 at start-up and unblocks it only when it starts its inspector's signal
// thread, which --disable-sigusr1 skips: the signal would stay blocked for good and a listener
// never run. native/sigusr1.c (built by `npm install`) unblocks it once our listener is in place.
// Without that helper SIGUSR1 is inert (neither a kill nor a reload); the reload plugin reloads.

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

let held = 0
/** Whether SIGUSR1 reaches the listeners (false: blocked for good, see above). */
let delivered = true

function hold(): void {
  held++
}

/** The build's native helper: two folders up from src/cli (run as .ts) and dist/cli (bundled). */
function nativeHelper(): { unblockSigusr1(): boolean } | undefined {
  const url = new URL('../../build/Release/sigusr1.node', import.meta.url)
  if (!existsSync(url)) return undefined
  return createRequire(import.meta.url)(url.pathname) as ReturnType<typeof nativeHelper>
}

/** Called first thing by main.ts. */
export function holdReloads(): void {
  process.on('SIGUSR1', hold)
  if (!process.execArgv.includes('--disable-sigusr1')) return // Node unblocked it itself
  delivered = nativeHelper()?.unblockSigusr1() ?? false
}

/** Why SIGUSR1 cannot reload in this process, or undefined when it can. */
export function reloadSignalProblem(): string | undefined {
  return delivered ? undefined
    : 'SIGUSR1 cannot reload: the native helper build/Release/sigusr1.node is missing (npm rebuild builds it); the reload plugin still reloads'
}

/** From now on SIGUSR1 calls `reload`; if one came while held, `reload` runs once now. */
export function takeReloads(reload: () => void): void {
  // the new listener first: with none at all, the signal's default action would apply again
  process.on('SIGUSR1', reload)
  process.off('SIGUSR1', hold)
  if (held > 0) {
    held = 0
    reload()
  }
}
