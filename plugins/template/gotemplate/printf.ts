// The part of Go's fmt that `printf` needs in RR templates: verbs v s q d o b c x X t, the flags
// '-', '+', ' ' and '0', width and precision. The format is parsed once, with the template, and
// checked against the argument types, so a verb that does not fit its argument (Go would print
// "%!d(string=...)") is a Corefile error.

import { format, printable, type Type, typeName, type Value } from './types.ts'

interface Verb {
  readonly verb: string
  readonly minus: boolean
  readonly plus: boolean
  readonly space: boolean
  readonly zero: boolean
  readonly width: number | undefined
  readonly prec: number | undefined
}

export type Format = readonly (string | Verb)[]

const VERBS: Record<string, (t: Type) => boolean> = {
  v: printable,
  s: (t) => t.kind === 'string',
  q: (t) => t.kind === 'string',
  d: (t) => t.kind === 'int',
  o: (t) => t.kind === 'int',
  b: (t) => t.kind === 'int',
  c: (t) => t.kind === 'int',
  x: (t) => t.kind === 'int' || t.kind === 'string',
  X: (t) => t.kind === 'int' || t.kind === 'string',
  t: (t) => t.kind === 'bool',
}

/** Parses a printf format; the error says what tsdns does not support. */
export function parseFormat(f: string): Format | { error: string } {
  const out: (string | Verb)[] = []
  let text = ''
  for (let i = 0; i < f.length; i++) {
    if (f[i] !== '%') {
      text += f[i]
      continue
    }
    if (f[i + 1] === '%') {
      text += '%'
      i++
      continue
    }
    const m = /^%([-+ 0]*)(\d+)?(?:\.(\d*))?(.)?/.exec(f.slice(i))!
    const verb = m[4]
    if (verb === undefined) return { error: 'printf format ends with a lone %' }
    if (VERBS[verb] === undefined) {
      return { error: `printf verb %${verb} is not supported by tsdns` }
    }
    if (text !== '') out.push(text)
    text = ''
    const flags = m[1]!
    out.push({
      verb,
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      space: flags.includes(' '),
      zero: flags.includes('0'),
      width: m[2] === undefined ? undefined : Number(m[2]),
      prec: m[3] === undefined ? undefined : Number(m[3] || '0'),
    })
    i += m[0].length - 1
  }
  if (text !== '') out.push(text)
  return out
}

/** Why these argument types do not fit the format, or undefined when they do. */
export function checkFormat(f: Format, args: readonly Type[]): string | undefined {
  const verbs = f.filter((p): p is Verb => typeof p !== 'string')
  if (verbs.length !== args.length) {
    return `printf format has ${verbs.length} verb(s) for ${args.length} argument(s)`
  }
  for (const [i, v] of verbs.entries()) {
    if (!VERBS[v.verb]!(args[i]!)) {
      return `printf verb %${v.verb} does not take a ${typeName(args[i]!)}`
    }
  }
  return undefined
}

export function sprintf(f: Format, args: readonly Value[], types: readonly Type[]): string {
  let out = ''
  let n = 0
  for (const p of f) {
    if (typeof p === 'string') out += p
    else {
      out += verb(p, args[n], types[n]!)
      n++
    }
  }
  return out
}

function verb(v: Verb, arg: Value, t: Type): string {
  if (t.kind === 'int' && v.verb !== 'v' && v.verb !== 'c') return integer(v, arg as bigint)
  if (t.kind === 'int' && v.verb === 'v') return integer({ ...v, verb: 'd' }, arg as bigint)
  let s: string
  switch (v.verb) {
    case 'c':
      s = String.fromCodePoint(Number(arg as bigint))
      break
    case 'q':
      s = quote(truncate(arg as string, v.prec))
      break
    case 'x':
    case 'X': {
      const hex = Buffer.from(truncate(arg as string, v.prec), 'utf8').toString('hex')
      s = v.verb === 'X' ? hex.toUpperCase() : hex
      break
    }
    default:
      s = truncate(format(arg, t), t.kind === 'string' ? v.prec : undefined)
  }
  return pad(s, v, false)
}

function integer(v: Verb, n: bigint): string {
  const base = v.verb === 'o' ? 8 : v.verb === 'b' ? 2 : v.verb === 'x' || v.verb === 'X' ? 16 : 10
  let digits = (n < 0n ? -n : n).toString(base)
  if (v.verb === 'X') digits = digits.toUpperCase()
  if (v.prec !== undefined) digits = v.prec === 0 && n === 0n ? '' : digits.padStart(v.prec, '0')
  const sign = n < 0n ? '-' : v.plus ? '+' : v.space ? ' ' : ''
  // zero padding goes between the sign and the digits, unless a precision or '-' is given
  if (v.zero && !v.minus && v.prec === undefined && v.width !== undefined) {
    return sign + digits.padStart(v.width - sign.length, '0')
  }
  return pad(sign + digits, v, true)
}

function pad(s: string, v: Verb, numeric: boolean): string {
  const width = v.width ?? 0
  const len = [...s].length
  if (len >= width) return s
  if (v.minus) return s + ' '.repeat(width - len)
  const fill = v.zero && !numeric ? '0' : ' '
  return fill.repeat(width - len) + s
}

function truncate(s: string, prec: number | undefined): string {
  return prec === undefined ? s : [...s].slice(0, prec).join('')
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
}

/** Go's strconv.Quote. */
function quote(s: string): string {
  const hex = (c: number, n: number): string => c.toString(16).padStart(n, '0')
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    const escaped = QUOTE_ESCAPES[ch]
    if (escaped !== undefined) out += escaped
    else if (c >= 0x20 && c < 0x7f) out += ch
    else if (c < 0x80) out += `\\x${hex(c, 2)}`
    else if (/\p{L}|\p{M}|\p{N}|\p{P}|\p{S}/u.test(ch)) out += ch
    else out += c > 0xffff ? `\\U${hex(c, 8)}` : `\\u${hex(c, 4)}`
  }
  return `${out}"`
}
