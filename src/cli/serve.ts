// `tsdns [-conf FILE]`: serve until SIGTERM/SIGINT (SIGQUIT: at once); SIGUSR1 reloads (CoreDNS's
// signals).

import { rmSync, writeFileSync } from 'node:fs'
import { flushCompileCache } from 'node:module'
import { logLine } from '../plugin/log.ts'
import { Runner } from '../server/run.ts'
import { serverObserver } from '../../plugins/prometheus/observer.ts'
import { describeError, parseConfig, readConfig } from './config.ts'
import { banner } from './version.ts'

export interface ServeOptions {
  readonly conf: string | undefined
  readonly port: number
  readonly pidfile: string | undefined
  readonly quiet: boolean
  /** Awaited once every listener is up, before the pid file is written (node-cache's rules). */
  readonly onServing?: () => Promise<void>
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
  await opts.onServing?.()

  const stopped = new Promise<number>((resolve) => {
    let stopping = false
    const stop = async () => {
      if (stopping) return
      stopping = true
      await runner.stop()
      if (opts.pidfile) rmSync(opts.pidfile, { force: true })
      resolve(0)
    }
    // caddy's lines, before health's "Going into lameduck mode"
    process.on('SIGTERM', () => {
      if (!stopping) logLine('INFO', 'SIGTERM: Shutting down servers then terminating')
      void stop()
    })
    process.on('SIGINT', () => {
      if (!stopping) logLine('INFO', 'SIGINT: Shutting down')
      void stop()
    })
    // caddy's SIGQUIT: no lameduck, no draining; only the exit work (pid file, node-cache's
    // teardown after serve returns), then the process exits with the sockets still open.
    process.on('SIGQUIT', () => {
      logLine('INFO', 'SIGQUIT: Quitting process immediately')
      stopping = true
      if (opts.pidfile) rmSync(opts.pidfile, { force: true })
      resolve(0)
    })
    process.on('SIGUSR1', () => {
      logLine('INFO', 'SIGUSR1: Reloading')
      void runner.reload().then((outcome) => {
        if (outcome === 'reloaded' && !opts.quiet) for (const line of runner.instance!.describe()) process.stdout.write(line + '\n')
      })
    })
    process.on('SIGHUP', () => {}) // ignored, as caddy does
  })
  // Once the signals are handled: whoever waits for the pid file may send SIGTERM at once.
  if (opts.pidfile) writeFileSync(opts.pidfile, `${process.pid}\n`)
  // What this start compiled goes to the compile cache (main.ts) now: Node writes it at exit
  // otherwise, and a killed process never gets there.
  flushCompileCache()
  return stopped
}
