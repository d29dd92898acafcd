// The servers under test, each started fresh on CPU 0 with the same roles: answer names under
// tpl.bench locally, forward everything else to the bench upstream and cache it. Starting one
// measures the time from spawn to its first answer.

import dgram from 'node:dgram'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { buildSync } from 'esbuild'
import { dnsmasqArgs } from '../test/helpers/dnsmasq.ts'
import { freePort } from '../test/helpers/ports.ts'
import { type Child, sleep, spawnChild } from '../test/helpers/proc.ts'
import { buildQuery } from '../test/helpers/query.ts'
import { entryArgs } from '../test/helpers/tsdns.ts'
import { imageEnv } from './image.ts'

/** The zone every server answers itself, and the answer. */
export const LOCAL_ZONE = 'tpl.bench'
export const WHOAMI_ZONE = 'whoami.bench'
export const LOCAL_IP = '10.1.2.3'
/** Entries a cache holds: dnsmasq's --cache-size and CoreDNS's default capacity (9984). */
export const CACHE_ENTRIES = 10000
/** The server under test runs on one CPU; dnsperf and the upstream on the other. */
export const SERVER_CPU = 0
export const LOAD_CPU = 1

export interface Env {
  /** Where config files go. */
  readonly dir: string
  /** The authoritative upstream on loopback. */
  readonly upstream: number
  /** tsdns's entry (entryArgs): the snapshot blob the image starts from, or a script. */
  readonly tsdnsMain: string
  readonly ceilingMain: string
}

export interface Launch {
  readonly cmd: string
  readonly args: readonly string[]
  /** Added to the bench's environment. */
  readonly env?: Readonly<Record<string, string>>
}

export interface ServerSpec {
  readonly name: string
  /** Listens on 127.0.0.1:port once started. */
  launch(port: number, env: Env): Promise<Launch>
}

export interface Running {
  readonly name: string
  readonly port: number
  readonly pid: number
  /** Milliseconds from spawn to the first answer. */
  readonly startMs: number
  readonly child: Child
  stop(): Promise<void>
}

/**
 * The ceiling as plain JavaScript in `dir`: run as .ts, Node's type stripping would load its
 * TypeScript transform into the process (64 MiB of RSS against 44), and its RSS would no longer
 * be what a bare Node responder holds.
 */
export function buildCeiling(dir: string): string {
  const out = join(dir, 'ceiling.mjs')
  buildSync({ entryPoints: [join(import.meta.dirname, 'ceiling.ts')], outfile: out, bundle: true,
    platform: 'node', format: 'esm', logLevel: 'warning' })
  return out
}

export const ceiling: ServerSpec = {
  name: 'node ceiling',
  async launch(port, env) {
    return { cmd: process.execPath, args: [env.ceilingMain, String(port)] }
  },
}

export const dnsmasq: ServerSpec = {
  name: 'dnsmasq',
  async launch(port, env) {
    const args = dnsmasqArgs({
      addresses: [{ name: LOCAL_ZONE, ip: LOCAL_IP }],
      servers: [{ host: '127.0.0.1', port: env.upstream }],
      cacheSize: CACHE_ENTRIES,
    }, '127.0.0.1', port)
    return { cmd: '/usr/sbin/dnsmasq', args }
  },
}

/** One thread, default cache sizes (4 MiB message and 4 MiB RRset caches), no validation. */
export const unbound: ServerSpec = {
  name: 'unbound',
  async launch(port, env) {
    const conf = join(env.dir, `unbound-${port}.conf`)
    writeFileSync(conf, [
      'server:',
      '  num-threads: 1',
      `  interface: 127.0.0.1@${port}`,
      `  port: ${port}`,
      '  interface-automatic: no',
      '  do-ip6: no',
      `  directory: "${env.dir}"`,
      '  chroot: ""',
      '  username: ""',
      `  pidfile: "${join(env.dir, `unbound-${port}.pid`)}"`,
      '  use-syslog: no',
      '  logfile: ""',
      '  verbosity: 0',
      '  do-daemonize: no',
      '  access-control: 127.0.0.0/8 allow',
      '  module-config: "iterator"',
      '  do-not-query-localhost: no',
      '  so-rcvbuf: 4m', // as tsdns asks for its listener
      `  local-zone: "${LOCAL_ZONE}." redirect`,
      `  local-data: "${LOCAL_ZONE}. 30 IN A ${LOCAL_IP}"`,
      'remote-control:',
      '  control-enable: no',
      'forward-zone:',
      '  name: "."',
      `  forward-addr: 127.0.0.1@${env.upstream}`,
      '',
    ].join('\n'))
    return { cmd: '/usr/sbin/unbound', args: ['-d', '-c', conf] }
  },
}

/**
 * The node-local style Corefile (errors, cache, forward, prometheus) and an infrastructure block
 * answering a wildcard by template, as corefiles/custom-dns.Corefile does.
 */
export function tsdnsCorefile(port: number, upstream: number, metrics: number,
  capacity = 9984, status?: number): string {
  const re = `^(?:[^.]+\\.)+${LOCAL_ZONE.replaceAll('.', '\\.')}\\.$`
  return `${WHOAMI_ZONE}:${port} {
    bind 127.0.0.1
    whoami
}
${LOCAL_ZONE}:${port} {
    bind 127.0.0.1
    prometheus 127.0.0.1:${metrics}
    template IN A ${LOCAL_ZONE} {
        match ${re}
        answer "{{ .Name }} 30 IN A ${LOCAL_IP}"
    }
}
.:${port} {
    bind 127.0.0.1
    errors
    cache 30 {
        success ${capacity}
        denial ${capacity}
    }
    forward . 127.0.0.1:${upstream}
    prometheus 127.0.0.1:${metrics}${status === undefined ? '' : `\n    status 127.0.0.1:${status}`}
}
`
}

/**
 * tsdns run as the image runs it: its ENV, and `nodeFlags` the ENTRYPOINT's (image.ts) unless a
 * variant is measured; `status` adds the status plugin to the `.` block (issue 18's cost).
 */
export function tsdns(name: string, capacity: number | undefined, nodeFlags: readonly string[],
  status = false): ServerSpec {
  return {
    name,
    async launch(port, env) {
      const conf = join(env.dir, `tsdns-${port}.Corefile`)
      const statusPort = status ? await freePort('tcp') : undefined
      writeFileSync(conf,
        tsdnsCorefile(port, env.upstream, await freePort('tcp'), capacity, statusPort))
      return {
        cmd: process.execPath,
        args: [...nodeFlags, ...entryArgs(env.tsdnsMain), '-conf', conf, '-quiet'],
        env: imageEnv(env.dir),
      }
    },
  }
}

/** CoreDNS itself (COREDNS_BIN) with tsdns's Corefile: the same plugins doing the same work. */
export function coredns(bin: string): ServerSpec {
  return {
    name: 'coredns',
    async launch(port, env) {
      const conf = join(env.dir, `coredns-${port}.Corefile`)
      writeFileSync(conf, tsdnsCorefile(port, env.upstream, await freePort('tcp')))
      return { cmd: bin, args: ['-conf', conf, '-quiet'] }
    },
  }
}

const PROBE_EVERY_MS = 2
const START_LIMIT_MS = 15000

/**
 * Spawns the server pinned to `cpu` and resolves once it answered a query (a name it forwards:
 * the first answer a client would get), timing it from the spawn.
 */
export async function start(spec: ServerSpec, env: Env, cpu = SERVER_CPU): Promise<Running> {
  const port = await freePort('both')
  const { cmd, args, env: vars } = await spec.launch(port, env)
  const probe = dgram.createSocket('udp4')
  let answered = -1
  probe.on('message', () => {
    if (answered < 0) answered = performance.now()
  })
  probe.on('error', () => {}) // ICMP port unreachable while the server is not bound yet
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve))
  const query = buildQuery('start.bench', 'A', { id: 1 })
  const t0 = performance.now()
  const pinned = ['-c', String(cpu), cmd, ...args]
  const child = spawnChild(spec.name, 'taskset', pinned,
    { cwd: env.dir, env: { ...process.env, ...vars } })
  try {
    while (answered < 0) {
      if (child.status()) throw new Error(`${spec.name} exited before answering\n${child.tail()}`)
      if (performance.now() - t0 > START_LIMIT_MS) {
        throw new Error(`${spec.name} gave no answer within ${START_LIMIT_MS} ms\n${child.tail()}`)
      }
      probe.send(query, port, '127.0.0.1')
      await sleep(PROBE_EVERY_MS)
    }
  } catch (err) {
    await child.stop('SIGKILL')
    throw err
  } finally {
    probe.close()
  }
  return {
    name: spec.name,
    port,
    pid: child.proc.pid!,
    startMs: answered - t0,
    child,
    async stop() {
      await child.stop('SIGTERM', 2000)
    },
  }
}

/** CPU time (user + system, every thread) the process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Resident set size in MiB (VmRSS of /proc/PID/status). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}
