// `tsdns [-conf FILE]`: serve until SIGTERM/SIGINT (SIGQUIT: at once); SIGUSR1 reloads (CoreDNS's
// signals; one held since start runs once serving, signals.ts).

import { rmSync, writeFileSync } from 'node:fs'
import { flushCompileCache } from 'node:module'
import { logLine } from '../plugin/log.ts'
import { Runner } from '../server/run.ts'
import { serverObserver } from '../../plugins/prometheus/observer.ts'
import { describeError, parseConfig, readConfig } from './config.ts'
import { reloadSignalProblem, takeReloads } from './signals.ts'
import { banner } from './version.ts'

export interface ServeOptions {
  readonly conf: string | undefined
  readonly port: number
  readonly pidfile: string | undefined
  readonly quiet: boolean
  /** Awaited once every listener is up, before the pid file is written (node-cache's rules). */
  readonly onServing?: () => Promise<void>
  /** Awaited on SIGTERM/SIGINT before the lameduck (node-cache hands its IPs over); never rejects. */
  readonly onStopping?: () => Promise<void>
}

export async function serve(opts: ServeOptions): Promise<number> {
  const runner = new Runner(
    {
      load() {
        const cfg = readConfig(opts.conf, opts.port)
        return { blocks: parseConfig(cfg, opts.port), file: cfg.file }
      },
    },
    { defaultPort: opts.port, observer: serverObserver }, // zone="dropped", panics
  )
  let inst
  try {
    inst = await runner.start()
  } catch (err) {
    process.stderr.write(describeError(err) + '\n')
    await runner.stop()
    return 1
  }
  if (!opts.quiet) {
    for (const line of inst.describe()) process.stdout.write(line + '\n')
    process.stdout.write(banner() + '\n')
  }
  // node-cache's rules go in while the signals are already handled: one arriving meanwhile waits
  // for them, so the teardown after it sees every rule (Node's default would kill the process and
  // leave them behind; caddy traps signals first thing for the same reason)
  let setup: Promise<unknown> = Promise.resolve()
  const stopped = new Promise<number>((resolve) => {
    let stopping = false
    /** The exit work: the pid file goes, then serve returns (node-cache's teardown follows). */
    const exit = () => {
      if (opts.pidfile) rmSync(opts.pidfile, { force: true })
      resolve(0)
    }
    // caddy's signals and lines (SIGTERM's comes before health's "Going into lameduck mode"):
    // SIGTERM and SIGINT stop gracefully, SIGQUIT exits at once with the sockets still open
    const on = (signal: NodeJS.Signals, line: string, graceful: boolean) =>
      process.on(signal, () => {
        if (stopping && graceful) return
        stopping = true
        logLine('INFO', line)
        const settled = setup.catch(() => {})
        if (graceful) void (async () => {
          await settled
          await opts.onStopping?.()
          await runner.stop()
        })().then(exit)
        else void settled.then(exit)
      })
    on('SIGTERM', 'SIGTERM: Shutting down servers then terminating', true)
    on('SIGINT', 'SIGINT: Shutting down', true)
    on('SIGQUIT', 'SIGQUIT: Quitting process immediately', false)
    takeReloads(() => {
      logLine('INFO', 'SIGUSR1: Reloading')
      void runner.reload().then((outcome) => {
        if (outcome === 'reloaded' && !opts.quiet) for (const line of runner.instance!.describe()) process.stdout.write(line + '\n')
      })
    })
    process.on('SIGHUP', () => {}) // ignored, as caddy does
  })
  setup = opts.onServing?.() ?? setup
  await setup
  const problem = reloadSignalProblem()
  if (problem !== undefined) logLine('WARNING', problem)
  // Once the signals are handled: whoever waits for the pid file may send SIGTERM at once.
  if (opts.pidfile) writeFileSync(opts.pidfile, `${process.pid}\n`)
  // What this start compiled goes to the compile cache (main.ts) now: Node writes it at exit
  // otherwise, and a killed process never gets there.
  flushCompileCache()
  return stopped
}
