// SIGUSR1 is CoreDNS's reload, never Node's "open an inspector" nor its default "terminate".
// Every launcher starts Node with --disable-sigusr1, so no signal opens an inspector; main.ts
// holds the signal before anything else loads, so one arriving while tsdns starts (or during
// check, fmt, query) is remembered instead of taking the process down; serve() takes it over
// once serving and runs one reload if any came before, because the Corefile it loaded may have
// changed between that read and the signal.
//
// Node 24 leaves SIGUSR1 blocked in every thread under --disable-sigusr1 (it unblocks it only when
// it starts its inspector's signal thread), so there these listeners never run: a SIGUSR1 is then
// inert, neither a kill nor a reload; the reload plugin still reloads.

let held = 0

function hold(): void {
  held++
}

/** Called first thing by main.ts. */
export function holdReloads(): void {
  process.on('SIGUSR1', hold)
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
