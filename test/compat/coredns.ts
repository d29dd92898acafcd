// Running the reference CoreDNS binary: where it is, and whether a Corefile starts in it.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

/** COREDNS_BIN, else `--coredns PATH`, else ../shared/coredns/coredns beside the repository. */
export function corednsBin(argv: readonly string[] = process.argv): string {
  const i = argv.indexOf('--coredns')
  const bin =
    process.env['COREDNS_BIN'] ??
    (i === -1 ? undefined : argv[i + 1]) ??
    resolve(import.meta.dirname, '../../../shared/coredns/coredns')
  if (!existsSync(bin)) throw new Error(`no CoreDNS binary at ${bin} (set COREDNS_BIN)`)
  return bin
}

export interface Outcome {
  readonly started: boolean
  /** The last lines it wrote before it exited (its error), or '' when it started. */
  readonly message: string
}

/**
 * Starts `cmd` and waits for the first of: `ready` printed on stdout (it serves: the process is
 * left running and returned), the process exiting, `timeoutMs` passing (counted as started).
 */
export function startOrFail(
  cmd: string,
  args: readonly string[],
  ready: RegExp,
  timeoutMs: number,
  cwd?: string,
  env?: Readonly<Record<string, string>>,
): Promise<{ outcome: Outcome; child?: ChildProcess }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd, env: { ...process.env, ...env } })
  let out = ''
  return new Promise((done) => {
    const finish = (started: boolean) => {
      clearTimeout(timer)
      child.stdout.removeAllListeners('data')
      const message = started ? '' : lastLines(out)
      done(started ? { outcome: { started, message }, child } : { outcome: { started, message } })
    }
    const timer = setTimeout(() => finish(true), timeoutMs)
    const take = (chunk: Buffer) => {
      if (out.length < 64 * 1024) out += chunk.toString()
      if (ready.test(out)) finish(true)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', (chunk: Buffer) => {
      if (out.length < 64 * 1024) out += chunk.toString()
    })
    child.on('exit', () => finish(false))
  })
}

/** Stops a process started by startOrFail and waits for it to go. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await gone
}

function lastLines(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('maxprocs:'))
  return lines.slice(-2).join(' | ')
}
