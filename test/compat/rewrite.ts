// A Corefile made runnable beside another copy of itself: its listeners on loopback ports of
// their own, its forwards to the fake upstream. Edits go by token position, so the rest of the
// file (comments, quoting, imports) stays as written.

import type { Token } from '../../src/corefile/ast.ts'
import { stripBom } from '../../src/corefile/lexer.ts'
import { groupServerBlocks, parseCorefile, type Line } from '../../src/corefile/parser.ts'

export interface Ports {
  readonly dns: number
  /** A fresh port for each HTTP listener (health, ready, prometheus, status). */
  readonly http: () => Promise<number>
  /** `host:port` of the fake upstream every forward is pointed at. */
  readonly upstream: string
}

export interface Rewritten {
  readonly text: string
  /** Where its prometheus listeners are, to scrape. */
  readonly metrics: readonly string[]
  /** Where its health listeners are (GET /health). */
  readonly health: readonly string[]
}

const HTTP = new Set(['health', 'ready', 'prometheus', 'status'])

interface Edit {
  readonly at: Token
  readonly text: string
  /** Insert after the token instead of replacing it. */
  readonly after?: boolean
}

export async function rewrite(source: string, ports: Ports): Promise<Rewritten> {
  const text = stripBom(source)
  const parsed = parseCorefile(text, 'Corefile')
  const metrics: string[] = []
  const health: string[] = []
  if (parsed.errors.length > 0) return { text, metrics, health }
  const { items } = groupServerBlocks(parsed.lines, (t) => t.text)
  const edits: Edit[] = []
  // each address a bind names gets its own loopback address: blocks told apart by bind stay apart
  const binds = new Map<string, string>()
  const loopback = (addr: string) => {
    if (!binds.has(addr)) binds.set(addr, `127.0.0.${Math.min(binds.size + 1, 254)}`)
    return binds.get(addr)!
  }
  for (const item of items) {
    if (item.kind !== 'server') continue
    for (const { token } of item.keys) {
      const m = /^((?:[a-z0-9]+:\/\/)?[^:]*):(\d+)$/i.exec(token.text)
      if (m && !token.text.startsWith('(')) edits.push({ at: token, text: `${m[1]}:${ports.dns}` })
    }
    for (const line of item.body) edits.push(...(await directiveEdits(line, ports, metrics, health, loopback)))
  }
  return { text: applyEdits(text, edits), metrics, health }
}

async function directiveEdits(
  line: Line,
  ports: Ports,
  metrics: string[],
  health: string[],
  loopback: (addr: string) => string,
): Promise<Edit[]> {
  const [name, ...args] = line.words
  if (!name) return []
  switch (name.text) {
    case 'bind':
      return args.map((a) => ({ at: a, text: loopback(a.text) }))
    case 'forward':
      return args.slice(1).map((a) => ({ at: a, text: ports.upstream }))
    default: {
      if (!HTTP.has(name.text)) return []
      const addr = `127.0.0.1:${await ports.http()}`
      if (name.text === 'prometheus') metrics.push(addr)
      if (name.text === 'health') health.push(addr)
      const first = args[0]
      return first ? [{ at: first, text: addr }] : [{ at: name, text: ` ${addr}`, after: true }]
    }
  }
}

function applyEdits(text: string, edits: readonly Edit[]): string {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  const offset = (t: Token) => starts[t.line - 1]! + t.col - 1
  let out = text
  for (const e of [...edits].sort((a, b) => offset(b.at) - offset(a.at))) {
    const start = offset(e.at)
    // the token as written: its raw length on its line (quotes included)
    const raw = /^"(?:[^"\\]|\\.)*"|^\S+/.exec(out.slice(start))?.[0] ?? ''
    out = e.after
      ? out.slice(0, start + raw.length) + e.text + out.slice(start + raw.length)
      : out.slice(0, start) + e.text + out.slice(start + raw.length)
  }
  return out
}
