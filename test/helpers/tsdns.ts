// Starts the real tsdns process for end-to-end tests, the way CoreDNS is run: a Corefile written
// to a temp dir, `node src/cli/main.ts -conf <file> -pidfile <dir>/pid [args]`. tsdns writes the
// pid file once every listener is up (as CoreDNS does), so its appearance is the readiness
// signal; if the process exits first, the start rejects with its stderr.

import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnChild, sleep } from './proc.ts'
import type { Child, ExitStatus, Stream } from './proc.ts'
import { makeTempDir, removeTempDir } from './tmp.ts'

/** src/cli/main.ts, resolved from this file so tests work from any cwd. */
export const TSDNS_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

/**
 * The V8 flags of the image's ENTRYPOINT (manifests/Dockerfile; test/manifests.test.ts checks
 * they match): scenarios that bound memory measure tsdns as it is deployed.
 */
export const IMAGE_HEAP_FLAGS: readonly string[] =
  ['--max-semi-space-size=2', '--heap-growing-percent=10', '--no-concurrent-recompilation',
    '--no-concurrent-sweeping', '--no-maglev']

export interface TsdnsOptions {
  /** Corefile text; written to <dir>/Corefile. */
  readonly corefile: string
  /** More CLI arguments after -conf/-pidfile, e.g. ['-dns.port', '1053']. */
  readonly args?: readonly string[]
  /** Other files to write into the temp dir first (relative path → content), e.g. for import. */
  readonly files?: Readonly<Record<string, string>>
  /** Extra environment (merged over process.env), e.g. for {$VAR} in the Corefile. */
  readonly env?: Readonly<Record<string, string>>
  /** Bound on the wait for the pid file. Default 10000. */
  readonly startTimeoutMs?: number
  /** Node options before the script, e.g. the image's V8 heap flags. */
  readonly nodeArgs?: readonly string[]
  /** Script to run instead of src/cli/main.ts, or a snapshot blob (entryArgs). */
  readonly main?: string
}

export interface Tsdns {
  readonly proc: Child['proc']
  readonly pid: number
  /** The temp dir holding Corefile, pid and `files`; cwd of the process; removed by stop(). */
  readonly dir: string
  readonly confPath: string
  readonly pidPath: string
  readonly child: Child
  stdout(): string[]
  stderr(): string[]
  waitForLine(re: RegExp, ms?: number, stream?: Stream): Promise<string>
  /** Sends signal (default SIGTERM), SIGKILL after graceMs; resolves with the exit code
   *  (null if killed by a signal). Removes the temp dir. Safe to call twice. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>
  /** The full exit status once exited. */
  status(): ExitStatus | undefined
}

const POLL_MS = 20

/**
 * The node arguments that start tsdns from `entry`: a script, or a V8 start-up snapshot blob
 * (src/cli/snapshot.ts, what the image starts from), whose arguments follow a `--`.
 */
export function entryArgs(entry: string): string[] {
  return entry.endsWith('.blob') ? ['--snapshot-blob', entry, '--'] : [entry]
}

/** Starts tsdns; a plain string is the Corefile. Stop it in an after()/t.after(). */
export async function startTsdns(o: TsdnsOptions | string): Promise<Tsdns> {
  const opts: TsdnsOptions = typeof o === 'string' ? { corefile: o } : o
  const dir = makeTempDir('tsdns')
  const confPath = join(dir, 'Corefile')
  const pidPath = join(dir, 'pid')
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    const path = join(dir, rel)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, content)
  }
  writeFileSync(confPath, opts.corefile)
  // As every launcher starts it (src/cli/signals.ts): no signal opens an inspector.
  const args = ['--disable-sigusr1', ...(opts.nodeArgs ?? []), ...entryArgs(opts.main ?? TSDNS_MAIN),
    '-conf', confPath, '-pidfile', pidPath, ...(opts.args ?? [])]
  const child = spawnChild('tsdns', process.execPath, args, {
    cwd: dir,
    env: { ...process.env, ...opts.env },
  })

  const timeoutMs = opts.startTimeoutMs ?? 10_000
  const deadline = Date.now() + timeoutMs
  const maxPolls = Math.ceil(timeoutMs / POLL_MS) + 1
  let ready = false
  for (let i = 0; i < maxPolls && Date.now() < deadline; i++) {
    const exited = child.status()
    if (exited) break
    // pid file complete = a number followed by a newline or at least its digits
    if (existsSync(pidPath) && /^\d+\s*$/.test(readFileSync(pidPath, 'utf8'))) {
      ready = true
      break
    }
    await sleep(POLL_MS)
  }
  if (!ready) {
    // a final look at the output: the process may have exited while we slept
    const exited = child.status() ?? (await child.waitExit(100))
    const status = exited ?? (await child.stop('SIGKILL'))
    removeTempDir(dir)
    const why = exited
      ? `exited with ${exited.code ?? exited.signal} before writing its pid file`
      : `wrote no pid file within ${timeoutMs} ms (killed: ${JSON.stringify(status)})`
    throw new Error(`tsdns ${why}\n--- stderr ---\n${child.stderr().join('\n')}` +
      `\n--- stdout ---\n${child.stdout().slice(-50).join('\n')}`)
  }

  let stopping: Promise<number | null> | undefined
  return {
    proc: child.proc,
    pid: child.proc.pid ?? 0,
    dir,
    confPath,
    pidPath,
    child,
    stdout: () => child.stdout(),
    stderr: () => child.stderr(),
    waitForLine: (re, ms = 5000, stream = 'any') => child.waitForLine(re, ms, stream),
    status: () => child.status(),
    stop(signal = 'SIGTERM', graceMs = 5000) {
      stopping ??= child.stop(signal, graceMs).then((s) => {
        removeTempDir(dir)
        return s.code
      })
      return stopping
    },
  }
}
