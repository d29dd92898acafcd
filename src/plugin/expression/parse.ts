// The subset of expr-lang (github.com/expr-lang/expr) that CoreDNS's expressions use (view's
// `expr`, template's `var` on CoreDNS main): literals (int, float, 'string', "string", true,
// false, nil, [arrays]), calls of the environment's functions, `! not - +`, `* / %`, `+ -`,
// `== != < > <= >= in, not in, matches contains startsWith endsWith`, `&& and`, `|| or`, `??`,
// and `c ? a : b`, with expr-lang's precedences. It is compiled once (here: parsed, type
// checked as expr.Compile with an Env does, regexes compiled) into plain closures; nothing is
// parsed per query. Bounds: the text's length and the nesting depth.

import { RE2JS } from 're2js'

/** Longest expression compiled: far beyond any real Corefile condition. */
export const MAX_EXPRESSION_LENGTH = 4096
/** Deepest nesting of parentheses, operators and calls. */
export const MAX_DEPTH = 64

export type Value = string | number | boolean | null | readonly Value[]
export type Type = 'string' | 'int' | 'float' | 'bool' | 'array' | 'nil' | 'any' | 'func'

/** A function of the environment: its parameter and result types, called with the context. */
export interface Fn<C> {
  readonly params: readonly Type[]
  readonly result: Type
  /** Throws (an error in the expression) when it cannot answer, as a Go func returning an error. */
  readonly call: (ctx: C, args: readonly Value[]) => Value
}
export type Env<C> = Readonly<Record<string, Fn<C>>>

/** A compile error at `offset` in the expression (0-based), in expr-lang's words. */
export class ExpressionError extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.name = 'ExpressionError'
    this.offset = offset
  }
}

export type Program<C> = (ctx: C) => Value

interface Tok {
  readonly kind: 'num' | 'str' | 'name' | 'op' | 'eof'
  readonly text: string
  readonly value?: Value
  readonly at: number
}

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '??', '<', '>', '+', '-', '*', '/', '%', '!', '?',
  ':', '(', ')', '[', ']', ',']
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' }

function lex(src: string): Tok[] {
  const out: Tok[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const at = i
    const num = /^(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(\.\d+)?([eE][+-]?\d+)?)/.exec(src.slice(i))
    if (num) {
      const text = num[0]
      const value = Number(text.replace(/_/g, ''))
      out.push({ kind: 'num', text: num[1] || num[2] ? 'float' : 'int', value, at })
      i += text.length
    } else if (c === "'" || c === '"') {
      let s = ''
      i++
      for (;;) {
        if (i >= src.length) throw new ExpressionError('literal not terminated', at)
        const ch = src[i]!
        if (ch === c) break
        if (ch === '\\') {
          const e = src[i + 1]
          const u = e === 'u' ? /^[0-9a-fA-F]{4}/.exec(src.slice(i + 2)) : null
          if (u) {
            s += String.fromCharCode(parseInt(u[0], 16))
            i += 6
            continue
          }
          if (e === undefined || !Object.hasOwn(ESCAPES, e)) throw new ExpressionError('invalid char escape', i)
          s += ESCAPES[e]
          i += 2
          continue
        }
        s += ch
        i++
      }
      i++
      out.push({ kind: 'str', text: 'string', value: s, at })
    } else if (/[A-Za-z_$]/.test(c)) {
      const name = /^[A-Za-z_$][\w$]*/.exec(src.slice(i))![0]
      out.push({ kind: 'name', text: name, at })
      i += name.length
    } else {
      const op = OPS.find((o) => src.startsWith(o, i))
      if (op === undefined) throw new ExpressionError(`unexpected token ${JSON.stringify(c)}`, at)
      out.push({ kind: 'op', text: op, at })
      i += op.length
    }
  }
  out.push({ kind: 'eof', text: 'EOF', at: src.length })
  return out
}

/** expr-lang's binary operators and precedences (parser/operator). */
const BINARY: ReadonlyMap<string, number> = new Map(Object.entries({
  '||': 10, or: 10, '&&': 15, and: 15,
  '==': 20, '!=': 20, '<': 20, '>': 20, '<=': 20, '>=': 20,
  in: 20, matches: 20, contains: 20, startsWith: 20, endsWith: 20,
  '+': 30, '-': 30, '*': 60, '/': 60, '%': 60, '??': 500,
}))
const UNARY: ReadonlyMap<string, number> = new Map(Object.entries({ '!': 50, not: 50, '-': 90, '+': 90 }))

/** A checked, compiled node: its static type and how to evaluate it. */
interface Node<C> {
  readonly type: Type
  readonly eval: Program<C>
  /** The value, when the node is a literal (matches compiles its regex once). */
  readonly literal?: Value
}

const numeric = (t: Type): boolean => t === 'int' || t === 'float' || t === 'any'
const is = (t: Type, want: Type): boolean => t === want || t === 'any'

/** Compiles `src` against `env`; throws ExpressionError. */
export function compile<C>(src: string, env: Env<C>): Program<C> {
  if (src.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression is ${src.length} characters long, the limit is ${MAX_EXPRESSION_LENGTH}`, 0)
  }
  const toks = lex(src)
  let pos = 0
  let depth = 0
  const peek = (): Tok => toks[pos]!
  const next = (): Tok => toks[pos++]!
  const expect = (text: string): void => {
    const t = next()
    if (t.text !== text || t.kind === 'str' || t.kind === 'num') {
      throw new ExpressionError(`unexpected token ${describe(t)}, expecting ${text}`, t.at)
    }
  }
  const mismatch = (op: string, a: Type, b: Type, at: number): ExpressionError =>
    new ExpressionError(`invalid operation: ${op} (mismatched types ${a} and ${b})`, at)

  function expression(min: number): Node<C> {
    if (++depth > MAX_DEPTH) throw new ExpressionError(`expression nested deeper than ${MAX_DEPTH}`, peek().at)
    let left = unary()
    for (;;) {
      const t = peek()
      let op = t.kind === 'op' || t.kind === 'name' ? t.text : ''
      if (op === 'not' && toks[pos + 1]?.text === 'in') op = 'not in'
      const prec = BINARY.get(op === 'not in' ? 'in' : op)
      if (prec === undefined || prec <= min) break
      pos += op === 'not in' ? 2 : 1
      left = binary(op, left, expression(prec), t.at)
    }
    if (min === 0 && peek().text === '?' && peek().kind === 'op') {
      const q = next()
      const a = expression(0)
      expect(':')
      const b = expression(0)
      if (!is(left.type, 'bool')) throw new ExpressionError(`non-bool expression (type ${left.type}) used as condition`, q.at)
      const c = left.eval
      left = { type: a.type === b.type ? a.type : 'any', eval: (ctx) => (truthy(c(ctx), q.at) ? a.eval(ctx) : b.eval(ctx)) }
    }
    depth--
    return left
  }

  function unary(): Node<C> {
    const t = peek()
    const prec = (t.kind === 'op' || t.kind === 'name') ? UNARY.get(t.text) : undefined
    if (prec === undefined) return primary()
    next()
    const x = expression(prec)
    if (t.text === '!' || t.text === 'not') {
      if (!is(x.type, 'bool')) throw new ExpressionError(`invalid operation: ${t.text} (mismatched type ${x.type})`, t.at)
      return { type: 'bool', eval: (ctx) => !truthy(x.eval(ctx), t.at) }
    }
    if (!numeric(x.type)) throw new ExpressionError(`invalid operation: ${t.text} (mismatched type ${x.type})`, t.at)
    const neg = t.text === '-'
    return { type: x.type, eval: (ctx) => (neg ? -num(x.eval(ctx), t.at) : num(x.eval(ctx), t.at)) }
  }

  function primary(): Node<C> {
    const t = next()
    if (t.kind === 'num' || t.kind === 'str') return literal(t.value!, t.kind === 'str' ? 'string' : (t.text as Type))
    if (t.kind === 'op' && t.text === '(') {
      const x = expression(0)
      expect(')')
      return x
    }
    if (t.kind === 'op' && t.text === '[') {
      const items: Node<C>[] = []
      while (peek().text !== ']' || peek().kind !== 'op') {
        items.push(expression(0))
        if (peek().text === ',' && peek().kind === 'op') next()
        else break
      }
      expect(']')
      if (items.every((n) => n.literal !== undefined)) return literal(items.map((n) => n.literal!), 'array')
      return { type: 'array', eval: (ctx) => items.map((n) => n.eval(ctx)) }
    }
    if (t.kind === 'name') {
      if (t.text === 'true' || t.text === 'false') return literal(t.text === 'true', 'bool')
      if (t.text === 'nil') return literal(null, 'nil')
      const fn = Object.hasOwn(env, t.text) ? env[t.text] : undefined
      if (fn === undefined) throw new ExpressionError(`unknown name ${t.text}`, t.at)
      if (peek().text !== '(' || peek().kind !== 'op') {
        return { type: 'func', eval: () => { throw new ExpressionError(`${t.text} is a function`, t.at) } }
      }
      return call(t, fn)
    }
    throw new ExpressionError(`unexpected token ${describe(t)}`, t.at)
  }

  function call(name: Tok, fn: Fn<C>): Node<C> {
    expect('(')
    const args: Node<C>[] = []
    while (peek().text !== ')' || peek().kind !== 'op') {
      args.push(expression(0))
      if (peek().text === ',' && peek().kind === 'op') next()
      else break
    }
    expect(')')
    if (args.length < fn.params.length) throw new ExpressionError(`not enough arguments to call ${name.text}`, name.at)
    if (args.length > fn.params.length) throw new ExpressionError(`too many arguments to call ${name.text}`, name.at)
    args.forEach((a, i) => {
      const want = fn.params[i]!
      if (!is(a.type, want) && want !== 'any' && !(want === 'float' && a.type === 'int')) {
        throw new ExpressionError(`cannot use ${a.type} as argument (type ${want}) to call ${name.text}`, name.at)
      }
    })
    const evals = args.map((a) => a.eval)
    const f = fn.call
    const at = name.at
    return {
      type: fn.result,
      eval: (ctx) => {
        try {
          return f(ctx, evals.map((e) => e(ctx)))
        } catch (err) {
          throw err instanceof ExpressionError ? err : new ExpressionError((err as Error).message, at)
        }
      },
    }
  }

  function binary(op: string, l: Node<C>, r: Node<C>, at: number): Node<C> {
    const [a, b] = [l.eval, r.eval]
    switch (op) {
      case '||': case 'or': case '&&': case 'and': {
        if (!is(l.type, 'bool') || !is(r.type, 'bool')) throw mismatch(op, l.type, r.type, at)
        const and = op === '&&' || op === 'and'
        return { type: 'bool', eval: (ctx) => (and ? truthy(a(ctx), at) && truthy(b(ctx), at) : truthy(a(ctx), at) || truthy(b(ctx), at)) }
      }
      case '==': case '!=': {
        const comparable = l.type === r.type || l.type === 'any' || r.type === 'any' || l.type === 'nil' ||
          r.type === 'nil' || (numeric(l.type) && numeric(r.type))
        if (!comparable || l.type === 'func' || r.type === 'func') throw mismatch(op, l.type, r.type, at)
        const ne = op === '!='
        return { type: 'bool', eval: (ctx) => equal(a(ctx), b(ctx)) !== ne }
      }
      case '<': case '>': case '<=': case '>=': {
        const ok = (numeric(l.type) && numeric(r.type)) || (is(l.type, 'string') && is(r.type, 'string'))
        if (!ok) throw mismatch(op, l.type, r.type, at)
        return { type: 'bool', eval: (ctx) => order(op, a(ctx), b(ctx), at) }
      }
      case '+': case '-': case '*': case '/': case '%': {
        if (op === '+' && is(l.type, 'string') && is(r.type, 'string') && (l.type === 'string' || r.type === 'string')) {
          return { type: 'string', eval: (ctx) => str(a(ctx), at) + str(b(ctx), at) }
        }
        if (!numeric(l.type) || !numeric(r.type) || (op === '%' && (l.type === 'float' || r.type === 'float'))) {
          throw mismatch(op, l.type, r.type, at)
        }
        const type: Type = op === '/' || l.type === 'float' || r.type === 'float' ? 'float' : l.type === 'any' || r.type === 'any' ? 'any' : 'int'
        return { type, eval: (ctx) => arith(op, num(a(ctx), at), num(b(ctx), at), at) }
      }
      case 'in': case 'not in': {
        if (!is(r.type, 'array')) throw mismatch(op, l.type, r.type, at)
        const not = op === 'not in'
        return { type: 'bool', eval: (ctx) => list(b(ctx), at).some((v) => equal(a(ctx), v)) !== not }
      }
      case 'matches': {
        if (!is(l.type, 'string') || !is(r.type, 'string')) throw mismatch(op, l.type, r.type, at)
        const re = typeof r.literal === 'string' ? regex(r.literal, at) : undefined
        return { type: 'bool', eval: (ctx) => (re ?? regex(str(b(ctx), at), at)).matcher(str(a(ctx), at)).find() }
      }
      case 'contains': case 'startsWith': case 'endsWith': {
        if (!is(l.type, 'string') || !is(r.type, 'string')) throw mismatch(op, l.type, r.type, at)
        const f = op === 'contains' ? (x: string, y: string) => x.includes(y)
          : op === 'startsWith' ? (x: string, y: string) => x.startsWith(y) : (x: string, y: string) => x.endsWith(y)
        return { type: 'bool', eval: (ctx) => f(str(a(ctx), at), str(b(ctx), at)) }
      }
      default: // ??
        return { type: l.type === 'nil' ? r.type : l.type, eval: (ctx) => a(ctx) ?? b(ctx) }
    }
  }

  function literal(v: Value, type: Type): Node<C> {
    return { type, literal: v, eval: () => v }
  }

  const program = expression(0)
  if (peek().kind !== 'eof') throw new ExpressionError(`unexpected token ${describe(peek())}`, peek().at)
  return program.eval
}

function describe(t: Tok): string {
  return t.kind === 'eof' ? 'EOF' : t.kind === 'str' ? `String(${JSON.stringify(t.value)})` : t.kind === 'num' ? `Number(${t.value})` : `${JSON.stringify(t.text)}`
}

function regex(pattern: string, at: number): RE2JS {
  try {
    return RE2JS.compile(pattern)
  } catch (err) {
    throw new ExpressionError(`error parsing regexp: ${(err as Error).message}`, at)
  }
}

// Runtime checks: only values typed `any` can fail them; the error makes the expression fail.
function truthy(v: Value, at: number): boolean {
  if (typeof v !== 'boolean') throw new ExpressionError(`expected bool, got ${typeof v}`, at)
  return v
}
function num(v: Value, at: number): number {
  if (typeof v !== 'number') throw new ExpressionError(`expected a number, got ${typeof v}`, at)
  return v
}
function str(v: Value, at: number): string {
  if (typeof v !== 'string') throw new ExpressionError(`expected string, got ${typeof v}`, at)
  return v
}
function list(v: Value, at: number): readonly Value[] {
  if (!Array.isArray(v)) throw new ExpressionError(`expected array, got ${typeof v}`, at)
  return v as readonly Value[]
}
function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]!))
  return a === b
}
function order(op: string, a: Value, b: Value, at: number): boolean {
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) {
    throw new ExpressionError(`invalid operation: ${op}`, at)
  }
  const [x, y] = [a as number | string, b as number | string]
  return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y
}
function arith(op: string, x: number, y: number, at: number): number {
  switch (op) {
    case '+': return x + y
    case '-': return x - y
    case '*': return x * y
    case '/': return x / y
    default:
      if (y === 0) throw new ExpressionError('integer divide by zero', at)
      return x % y
  }
}
