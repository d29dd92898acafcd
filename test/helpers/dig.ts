// Runs the real dig (BIND) or kdig (Knot) and parses what it prints. The two tools format the
// same message differently (dig: "status: NOERROR, id: 1" and "; EDNS: version: 0, flags:; udp:
// 1232"; kdig: "status: NOERROR; id: 1" and ";; Version: 0; flags: ; UDP size: 1232 B"), so the
// parser accepts both. Failures without a reply become a status of their own:
//   TIMEOUT      no reply in time (dig: "timed out", "no servers could be reached")
//   UNREACHABLE  connection refused / can't connect
//   ERROR        anything else without a reply (TLS handshake failure, bad option, ...)
//   UNKNOWN      output without a header, e.g. `+noall +answer` (records still parsed)

import { execFile } from 'node:child_process'

export type DigTool = 'dig' | 'kdig'

export interface Rr {
  readonly name: string
  readonly ttl: number
  readonly class: string
  readonly type: string
  /** RDATA as printed by the tool (dig and kdig agree for common types). */
  readonly data: string
}

export interface DigResult {
  /** Rcode name (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, BADVERS, ...) or TIMEOUT etc. (above). */
  readonly status: string
  readonly id?: number
  readonly opcode?: string
  /** Header flags, lowercase: qr aa tc rd ra ad cd. */
  readonly flags: string[]
  readonly question: { name: string; class: string; type: string }[]
  readonly answer: Rr[]
  readonly authority: Rr[]
  readonly additional: Rr[]
  /** Present when the reply carried an OPT record. */
  readonly ednsUdp?: number
  readonly ednsVersion?: number
  /** EDNS flags, lowercase (do). */
  readonly ednsFlags: string[]
  readonly queryTimeMs?: number
  readonly msgSize?: number
  /** Transport of the answer: UDP, TCP or TLS (kdig's "TLS session" line wins over its TCP). */
  readonly proto?: string
  /** Error, warning and retry lines of the tools (e.g. why there is no reply, or
   *  ";; Truncated, retrying in TCP mode."), from the whole output. */
  readonly errors: string[]
  readonly exitCode: number | null
  /** stdout, then stderr. */
  readonly raw: string
}

export interface DigOptions {
  readonly tool?: DigTool
  /** Server address; default 127.0.0.1. */
  readonly server?: string
  readonly port: number
  readonly name: string
  readonly type?: string
  readonly class?: string
  /** Tool options passed as given, e.g. ['+tcp', '+norec', '+dnssec', '+bufsize=512']. */
  readonly opts?: readonly string[]
  /** Per-try wait of the tool in seconds (+time). Default 2. */
  readonly timeSec?: number
  /** Attempts over UDP (dig +tries, kdig +retry=tries-1). Default 1: tests want no retry. */
  readonly tries?: number
  /** Hard limit for the process; killed after this. Default timeSec * tries * 1000 + 3000. */
  readonly timeoutMs?: number
}

interface RunOutput {
  stdout: string
  stderr: string
  code: number | null
  killed: boolean
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') {
        reject(new Error(`${cmd}: ${err.message}`)) // ENOENT: the tool is not installed
        return
      }
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0
      resolve({ stdout, stderr, code, killed: err?.killed ?? false })
    })
  })
}

/** The argument vector for dig/kdig (exported so tests can show what was run). */
export function digArgs(o: DigOptions): string[] {
  const tool = o.tool ?? 'dig'
  const timeSec = o.timeSec ?? 2
  const tries = o.tries ?? 1
  const args = tool === 'dig'
    ? ['-r', `+time=${timeSec}`, `+tries=${tries}`] // -r: ignore ~/.digrc
    : [`+time=${timeSec}`, `+retry=${Math.max(0, tries - 1)}`]
  args.push(`@${o.server ?? '127.0.0.1'}`, '-p', String(o.port))
  args.push(...(o.opts ?? []))
  if (o.class) args.push('-c', o.class)
  args.push('-t', o.type ?? 'A', '-q', o.name)
  return args
}

/** Runs dig or kdig and parses its output. Never throws for DNS failures, only if it can't run. */
export async function dig(o: DigOptions): Promise<DigResult> {
  const tool = o.tool ?? 'dig'
  const timeoutMs = o.timeoutMs ?? (o.timeSec ?? 2) * (o.tries ?? 1) * 1000 + 3000
  const out = await run(tool, digArgs(o), timeoutMs)
  const parsed = parseDig(out.stdout + (out.stderr ? `\n${out.stderr}` : ''), out.code)
  if (out.killed) return { ...parsed, status: 'TIMEOUT', errors: [...parsed.errors, 'killed'] }
  return parsed
}

const sectionNames: Record<string, 'question' | 'answer' | 'authority' | 'additional' | 'other'> = {
  QUESTION: 'question',
  ANSWER: 'answer',
  AUTHORITY: 'authority',
  ADDITIONAL: 'additional',
}

// error, warning and retry lines of both tools
const NOTICE = new RegExp('^;; (WARNING|ERROR|communications error|connection timed out|' +
  'no servers|Connection to|\\w+, retrying)', 'i')

// name ttl class type [data]; data keeps its inner spacing (TXT strings)
const rrLine = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/

/**
 * Parses dig or kdig output. With several messages in it (+qr prints the query before the
 * reply) the last one wins; error and retry lines are collected from all of it.
 */
export function parseDig(raw: string, exitCode: number | null = 0): DigResult {
  const lines = raw.split('\n')
  // start at the last header so that only the final message is parsed
  let start = 0
  lines.forEach((l, i) => {
    if (l.includes('->>HEADER<<-')) start = i
  })
  let status: string | undefined
  let id: number | undefined
  let opcode: string | undefined
  let flags: string[] = []
  let ednsUdp: number | undefined
  let ednsVersion: number | undefined
  let ednsFlags: string[] = []
  let queryTimeMs: number | undefined
  let msgSize: number | undefined
  let proto: string | undefined
  let tls = false
  const question: DigResult['question'] = []
  const rrs = { answer: [] as Rr[], authority: [] as Rr[], additional: [] as Rr[] }
  const errors: string[] = []
  let section: 'question' | 'answer' | 'authority' | 'additional' | 'other' | undefined

  for (const [i, line] of lines.entries()) {
    const t = line.trim()
    if (t === '') {
      // both tools end a section with a blank line; what follows is footer text
      if (section !== undefined) section = 'other'
      continue
    }
    // error lines can come before the last header (e.g. a retry); collect them all
    if (NOTICE.test(t) || /^(dig|kdig): /.test(t)) {
      errors.push(t)
      continue
    }
    // kdig prints the TLS session before the header
    if (t.startsWith(';; TLS session')) {
      tls = true
      continue
    }
    if (i < start) continue
    let m = /->>HEADER<<-\s*opcode:\s*([A-Z0-9]+)[,;]\s*status:\s*([A-Z0-9]+)[,;]\s*id:\s*(\d+)/
      .exec(t)
    if (m) {
      opcode = m[1]
      status = m[2]
      id = Number(m[3])
      section = undefined
      continue
    }
    m = /^;; [Ff]lags:([^;]*);/.exec(t)
    if (m) {
      flags = (m[1] ?? '').trim().split(/\s+/).filter(Boolean)
      continue
    }
    // dig: "; EDNS: version: 0, flags: do; udp: 1232"
    m = /^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(t)
    // kdig: ";; Version: 0; flags: do; UDP size: 1232 B; ext-rcode: NOERROR"
    m ??= /^;; Version: (\d+); flags:([^;]*); UDP size: (\d+) B/.exec(t)
    if (m) {
      ednsVersion = Number(m[1])
      ednsFlags = (m[2] ?? '').trim().split(/\s+/).filter(Boolean)
      ednsUdp = Number(m[3])
      continue
    }
    m = /^;; ([A-Z]+) (?:PSEUDO)?SECTION:/.exec(t)
    if (m) {
      section = sectionNames[m[1] ?? ''] ?? 'other'
      continue
    }
    m = /^;; Query time: (\d+) msec/.exec(t) ?? /^;; From \S+?\((\w+)\) in ([\d.]+) ms/.exec(t)
    if (m) {
      if (t.startsWith(';; From')) {
        proto = m[1]
        queryTimeMs = Number(m[2])
      } else queryTimeMs = Number(m[1])
      continue
    }
    m = /^;; SERVER: .*\((\w+)\)$/.exec(t)
    if (m) {
      proto = m[1]
      continue
    }
    m = /^;; MSG SIZE\s+rcvd: (\d+)/.exec(t) ?? /^;; Received (\d+) B/.exec(t)
    if (m) {
      msgSize = Number(m[1])
      continue
    }
    if (section === 'question') {
      const q = t.replace(/^;+\s*/, '').split(/\s+/)
      if (q.length >= 3) question.push({ name: q[0] ?? '', class: q[1] ?? '', type: q[2] ?? '' })
      continue
    }
    if (t.startsWith(';')) continue
    const r = rrLine.exec(t)
    if (!r) continue
    const rr: Rr = { name: r[1] ?? '', ttl: Number(r[2]), class: r[3] ?? '', type: r[4] ?? '',
      data: r[5] ?? '' }
    // no section header: `+noall +answer` style output
    const into = section === undefined ? 'answer' : section
    if (into === 'answer' || into === 'authority' || into === 'additional') rrs[into].push(rr)
  }

  if (status === undefined) status = failureStatus(errors, exitCode, rrs.answer.length > 0)
  return { status, id, opcode, flags, question, ...rrs, ednsUdp, ednsVersion, ednsFlags,
    queryTimeMs, msgSize, proto: tls ? 'TLS' : proto, errors, exitCode, raw }
}

function failureStatus(errors: string[], exitCode: number | null, hasRecords: boolean): string {
  const text = errors.join('\n')
  if (/timed out|response timeout/.test(text)) return 'TIMEOUT'
  if (/connection refused|can't connect|network unreachable/i.test(text)) return 'UNREACHABLE'
  if (/no servers could be reached/.test(text)) return 'TIMEOUT'
  if (exitCode === 0 && (hasRecords || errors.length === 0)) return 'UNKNOWN'
  return 'ERROR'
}
