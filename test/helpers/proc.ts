// Child processes of the test harness (unbound, dnsmasq, tsdns): output collected as lines, a
// bounded wait for a line or for exit, and a stop that escalates to SIGKILL. Every child is
// registered so that it is killed when the test process exits or is interrupted, even if the
// test that started it failed before its cleanup ran. Children and their pipes are unref'd: a
// forgotten server must not keep the test process alive (it would hang instead of exiting and
// killing the server); pending waits hold timers, so awaiting a child still works.

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { onCleanup } from './cleanup.ts'

export interface ExitStatus {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export type Stream = 'stdout' | 'stderr' | 'any'

export interface Child {
  readonly name: string
  readonly proc: ChildProcess
  /** Lines written so far (without newline); the oldest are dropped past MAX_LINES. */
  stdout(): string[]
  stderr(): string[]
  /** The last lines of both streams, for error messages. */
  tail(n?: number): string
  /** Resolves with the first line (existing or future) matching `re`; rejects after `ms`. */
  waitForLine(re: RegExp, ms: number, stream?: Stream): Promise<string>
  /** Exit status once exited, else undefined. */
  status(): ExitStatus | undefined
  /** Resolves with the exit status, or undefined if still running after `ms`. */
  waitExit(ms: number): Promise<ExitStatus | undefined>
  /** Sends `signal`, then SIGKILL after `graceMs`; resolves with the exit status. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>
}

const MAX_LINES = 50_000

export interface SpawnOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
}

/** Spawns `cmd args` directly (never through a shell) with stdin closed and output piped. */
export function spawnChild(name: string, cmd: string, args: readonly string[],
  opts: SpawnOptions = {}): Child {
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const unregister = onCleanup(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  })
  proc.unref()
  for (const s of [proc.stdout, proc.stderr]) (s as Socket | null)?.unref()
  const lines = { stdout: [] as string[], stderr: [] as string[] }
  const events = new EventEmitter()
  events.setMaxListeners(0)
  let exit: ExitStatus | undefined
  let spawnError: Error | undefined

  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = ''
    const push = (line: string): void => {
      const list = lines[stream]
      list.push(line)
      if (list.length > MAX_LINES) list.splice(0, list.length - MAX_LINES)
      events.emit('line', stream, line)
    }
    const s = proc[stream]
    s?.setEncoding('utf8')
    s?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      for (const p of parts) push(p.endsWith('\r') ? p.slice(0, -1) : p)
    })
    s?.on('end', () => {
      if (partial !== '') push(partial)
      partial = ''
    })
  }

  // Exit is reported once the output pipes closed too, so a process's last words (e.g. the
  // error it died of) are in the lines; if something else holds the pipes open, 500 ms later.
  const exited = new Promise<ExitStatus>((resolve) => {
    const settle = (status: ExitStatus): void => {
      if (exit) return
      exit = status
      unregister()
      resolve(status)
    }
    proc.once('error', (err) => {
      // ENOENT and friends: there will be no 'exit' when the spawn itself failed
      spawnError = err
      if (proc.pid === undefined) settle({ code: null, signal: null })
    })
    proc.once('exit', (code, signal) => {
      const t = setTimeout(() => settle({ code, signal }), 500)
      proc.once('close', () => {
        clearTimeout(t)
        settle({ code, signal })
      })
    })
  })

  const tail = (n = 30): string => {
    const out = [...lines.stdout.slice(-n), ...lines.stderr.slice(-n)]
    if (spawnError) out.push(String(spawnError))
    return out.join('\n')
  }

  const waitExit = async (ms: number): Promise<ExitStatus | undefined> => {
    if (exit) return exit
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, ms, undefined)
    })
    try {
      return await Promise.race([exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  const waitForLine = (re: RegExp, ms: number, stream: Stream = 'any'): Promise<string> => {
    const streams = stream === 'any' ? (['stdout', 'stderr'] as const) : [stream]
    for (const s of streams) {
      const found = lines[s].find((l) => re.test(l))
      if (found !== undefined) return Promise.resolve(found)
    }
    return new Promise((resolve, reject) => {
      const onLine = (s: 'stdout' | 'stderr', line: string): void => {
        if ((stream === 'any' || s === stream) && re.test(line)) done(() => resolve(line))
      }
      const timer = setTimeout(() => {
        done(() => reject(new Error(`${name}: no line matching ${re} within ${ms} ms` +
          `${exit ? ` (exited: ${JSON.stringify(exit)})` : ''}\n${tail()}`)))
      }, ms)
      const done = (fn: () => void): void => {
        clearTimeout(timer)
        events.off('line', onLine)
        fn()
      }
      events.on('line', onLine)
    })
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<ExitStatus> => {
    if (exit) return exit
    proc.kill(signal)
    const first = await waitExit(graceMs)
    if (first) return first
    proc.kill('SIGKILL')
    const second = await waitExit(2000)
    return second ?? { code: null, signal: 'SIGKILL' }
  }

  return {
    name,
    proc,
    stdout: () => lines.stdout,
    stderr: () => lines.stderr,
    tail,
    waitForLine,
    status: () => exit,
    waitExit,
    stop,
  }
}

/** Sleeps `ms` (a bounded pause for polling loops). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
