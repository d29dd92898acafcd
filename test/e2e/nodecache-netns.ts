// Network namespaces for the node-cache tests (never the host's interfaces or iptables): a
// namespace of our own deleted in cleanup, tsdns in node-cache mode started inside one, and a
// link type this kernel has for its interface.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { digArgs, makeTempDir, parseDig, removeTempDir, sleep, spawnChild, TSDNS_MAIN,
  type Child, type DigResult } from '../helpers/index.ts'
import { onCleanup } from '../helpers/cleanup.ts'

export const LOCAL_IP = '169.254.20.10'

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs })
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/** A network namespace of our own, deleted in cleanup (and at exit if a test dies first). */
export class Netns {
  readonly name = `tsdns-test-${randomBytes(4).toString('hex')}`
  readonly #unregister: () => void

  constructor() {
    const add = run('ip', ['netns', 'add', this.name])
    assert.equal(add.code, 0, add.stderr)
    this.#unregister = onCleanup(() => void run('ip', ['netns', 'del', this.name]))
    this.ok(['ip', 'link', 'set', 'lo', 'up'])
  }

  exec(argv: readonly string[], timeoutMs?: number): Run {
    return run('ip', ['netns', 'exec', this.name, ...argv], timeoutMs)
  }

  ok(argv: readonly string[]): string {
    const r = this.exec(argv)
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`)
    return r.stdout
  }

  dig(name: string, server = LOCAL_IP, opts: string[] = []): DigResult {
    const r = this.exec(['dig', ...digArgs({ server, port: 53, name, opts, timeSec: 2, tries: 1 })])
    return parseDig(r.stdout + r.stderr, r.code)
  }

  /** `iptables -S` of one table, without the chain policies. */
  rules(table: 'filter' | 'raw', cmd = 'iptables'): string[] {
    return this.ok([cmd, '-t', table, '-S']).split('\n').filter((l) => l.startsWith('-A '))
  }

  /** The interface's addresses, or undefined when it does not exist. */
  addresses(dev = 'nodelocaldns'): string[] | undefined {
    const r = this.exec(['ip', '-j', 'addr', 'show', 'dev', dev])
    if (r.code !== 0) return undefined
    const [link] = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]
    return link!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)
  }

  del(): void {
    this.#unregister()
    run('ip', ['netns', 'del', this.name])
  }
}

/** A link type this kernel has (it may lack dummy): the tests pass it as -interfacetype. */
export function workingInterfaceType(ns: Netns): string {
  for (const type of ['dummy', 'ifb', 'bridge']) {
    if (ns.exec(['ip', 'link', 'add', 'probe0', 'type', type]).code === 0) {
      ns.ok(['ip', 'link', 'del', 'probe0'])
      return type
    }
  }
  throw new Error('no usable link type for the local interface')
}

export const BASE_COREFILE = `.:53 {
    bind __PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__
    whoami
    prometheus 127.0.0.1:9253
    health __PILLAR__LOCAL__DNS__:8080
}
`

export interface NodeCache {
  readonly child: Child
  readonly dir: string
  readonly corefile: string
  /** Exit code after SIGTERM. */
  stop(): Promise<number | null>
}

export interface StartOptions {
  readonly base?: string
  readonly localIP?: string
  /** The process is expected to exit (a failed start): wait for that instead of the pid file. */
  readonly expectExit?: boolean
  /** Return as soon as it is spawned (to signal it while it sets the node up). */
  readonly noWait?: boolean
  /** Its environment (PATH with a slowed-down iptables, ...). */
  readonly env?: NodeJS.ProcessEnv
}

/** Bound on a start: several node processes may be starting at once on two busy cores. */
export const START_MS = 30_000

/** tsdns in node-cache mode inside `ns`; resolves once its pid file exists (rules installed). */
export async function startNodeCache(ns: Netns, args: readonly string[], o: StartOptions = {}): Promise<NodeCache> {
  const dir = makeTempDir('tsdns-nodecache')
  const corefile = join(dir, 'Corefile')
  const pid = join(dir, 'pid')
  writeFileSync(join(dir, 'Corefile.base'), o.base ?? BASE_COREFILE)
  const child = spawnChild('tsdns-nodecache', 'ip', ['netns', 'exec', ns.name, process.execPath,
    TSDNS_MAIN, '-localip', o.localIP ?? LOCAL_IP, '-basecorefile', join(dir, 'Corefile.base'),
    '-conf', corefile, '-pidfile', pid, ...args], { cwd: dir, ...(o.env ? { env: o.env } : {}) })
  const nc: NodeCache = {
    child,
    dir,
    corefile,
    async stop() {
      const s = await child.stop('SIGTERM', 8000)
      removeTempDir(dir)
      return s.code
    },
  }
  if (o.noWait) return nc
  if (o.expectExit) await child.waitExit(START_MS)
  else {
    const end = Date.now() + START_MS
    while (!existsSync(pid) && child.status() === undefined && Date.now() < end) await sleep(20)
    if (!existsSync(pid)) {
      await nc.stop()
      throw new Error(`tsdns did not start:\n${child.tail(40)}`)
    }
  }
  return nc
}

export async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await sleep(50)
  assert.ok(cond(), `${what} within ${ms} ms`)
}

