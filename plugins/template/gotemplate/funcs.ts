// The functions a template may call: Go's builtins that make sense in an RR line, plus CoreDNS's
// parseInt (strconv.ParseUint). Each one checks its argument types when the template is compiled
// and only reports data-dependent failures (an index out of range, an unparsable number) at run
// time, with Go's wording.

import {
  BOOL,
  INT,
  printable,
  sameType,
  STRING,
  truth,
  type Type,
  typeName,
  type Value,
} from './types.ts'

export interface Func {
  /** The result type for these argument types, or a message saying why they do not fit. */
  check(args: readonly Type[]): Type | string
  /** Throws an Error whose message is Go's (without the "error calling f: " prefix). */
  call(args: readonly Value[], types: readonly Type[]): Value
}

const basic = (t: Type): boolean => t.kind === 'string' || t.kind === 'int' || t.kind === 'bool'

function arity(name: string, args: readonly Type[], want: number): string | undefined {
  return args.length === want
    ? undefined
    : `wrong number of args for ${name}: want ${want} got ${args.length}`
}

function comparison(name: string, ordered: boolean, test: (c: number) => boolean): Func {
  return {
    check(args) {
      if (name === 'eq' ? args.length < 2 : args.length !== 2) {
        const want = name === 'eq' ? 'at least 2' : '2'
        return `wrong number of args for ${name}: want ${want} got ${args.length}`
      }
      for (const t of args) {
        if (!basic(t) || (ordered && t.kind === 'bool'))
          return `invalid type for comparison: ${typeName(t)}`
        if (!sameType(t, args[0]!))
          return `incompatible types for comparison: ${typeName(args[0]!)} and ${typeName(t)}`
      }
      return BOOL
    },
    call(args) {
      const [a, ...rest] = args
      // eq a b c: a equals any of b, c
      return rest.some((b) => test(compare(a, b)))
    },
  }
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'boolean') return a === b ? 0 : 1
  return (a as string | bigint) < (b as string | bigint) ? -1 : a === b ? 0 : 1
}

function indexOf(v: Value, t: Type, key: Value): Value {
  if (t.kind === 'map') return (v as ReadonlyMap<string, Value>).get(key as string) ?? zero(t.elem)
  const n = key as bigint
  const len = t.kind === 'string' ? Buffer.byteLength(v as string) : (v as readonly Value[]).length
  if (n < 0n || n >= BigInt(len)) throw new Error(`index out of range: ${n}`)
  return t.kind === 'string'
    ? BigInt(Buffer.from(v as string)[Number(n)]!)
    : (v as readonly Value[])[Number(n)]
}

function elemOf(t: Type): Type {
  return t.kind === 'string' ? INT : t.kind === 'list' || t.kind === 'map' ? t.elem : t
}

function zero(t: Type): Value {
  switch (t.kind) {
    case 'string':
      return ''
    case 'int':
      return 0n
    case 'bool':
      return false
    case 'list':
      return []
    case 'map':
      return new Map()
    case 'struct':
      return undefined
  }
}

/** strconv.ParseUint(s, base, bitSize), errors worded as Go's. */
export function parseUint(s: string, base: bigint, bits: bigint): bigint {
  const fail = (why: string): Error =>
    new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: ${why}`)
  if (bits === 0n) bits = 64n
  if (bits < 0n || bits > 64n) throw fail(`invalid bit size ${bits}`)
  let digits = s
  let b = Number(base)
  if (base === 0n) {
    b = 10
    const prefix = /^0([xXoObB])?/.exec(s)
    if (prefix) {
      const p = (prefix[1] ?? 'o').toLowerCase()
      b = p === 'x' ? 16 : p === 'b' ? 2 : 8
      digits = s.slice(prefix[1] ? 2 : 1)
      if (digits === '' && !prefix[1]) return 0n
    }
    // underscores are allowed only with base 0, between digits or after a prefix
    if (digits.includes('_')) {
      if (!/^_?[^_]+(_[^_]+)*$/.test(digits) || (digits.startsWith('_') && !/^0[xXoObB]/.test(s))) {
        throw fail('invalid syntax')
      }
      digits = digits.replaceAll('_', '')
    }
  } else if (base < 2n || base > 36n) {
    throw fail(`invalid base ${base}`)
  }
  if (digits === '') throw fail('invalid syntax')
  let n = 0n
  for (const ch of digits.toLowerCase()) {
    const d = parseInt(ch, 36)
    if (Number.isNaN(d) || d >= b) throw fail('invalid syntax')
    n = n * BigInt(b) + BigInt(d)
  }
  if (n >= 1n << bits) throw fail('value out of range')
  return n
}

export const funcs: ReadonlyMap<string, Func> = new Map<string, Func>([
  [
    'index',
    {
      check(args) {
        if (args.length === 0) return 'wrong number of args for index: want at least 1 got 0'
        let t = args[0]!
        for (const k of args.slice(1)) {
          const want =
            t.kind === 'map' ? STRING : t.kind === 'list' || t.kind === 'string' ? INT : undefined
          if (want === undefined) return `can't index item of type ${typeName(t)}`
          if (!sameType(k, want)) return `cannot index ${typeName(t)} with ${typeName(k)}`
          t = elemOf(t)
        }
        return t
      },
      call(args, types) {
        let v = args[0]
        let t = types[0]!
        for (const k of args.slice(1)) {
          v = indexOf(v, t, k)
          t = elemOf(t)
        }
        return v
      },
    },
  ],
  [
    'slice',
    {
      check(args) {
        const t = args[0]
        if (t === undefined) return 'wrong number of args for slice: want at least 1 got 0'
        if (t.kind !== 'string' && t.kind !== 'list')
          return `can't slice item of type ${typeName(t)}`
        if (args.length > 3) return `too many slice indexes: ${args.length - 1}`
        if (args.slice(1).some((k) => k.kind !== 'int')) return 'slice indexes must be integers'
        return t
      },
      call(args) {
        const v = args[0] as string | readonly Value[]
        const len = typeof v === 'string' ? Buffer.byteLength(v) : v.length
        const [i = 0n, j = BigInt(len)] = args.slice(1) as bigint[]
        for (const k of [i, j])
          if (k < 0n || k > BigInt(len)) throw new Error(`index out of range: ${k}`)
        if (i > j) throw new Error(`invalid slice index: ${i} > ${j}`)
        return typeof v === 'string'
          ? Buffer.from(v).subarray(Number(i), Number(j)).toString('utf8')
          : v.slice(Number(i), Number(j))
      },
    },
  ],
  [
    'len',
    {
      check(args) {
        const t = args[0]
        if (args.length !== 1 || t === undefined) return arity('len', args, 1)!
        return t.kind === 'string' || t.kind === 'list' || t.kind === 'map'
          ? INT
          : `len of type ${typeName(t)}`
      },
      call([v]) {
        if (typeof v === 'string') return BigInt(Buffer.byteLength(v))
        return BigInt(v instanceof Map ? v.size : (v as readonly Value[]).length)
      },
    },
  ],
  [
    'not',
    {
      check: (args) => arity('not', args, 1) ?? BOOL,
      call: ([v], [t]) => !truth(v, t!),
    },
  ],
  ['eq', comparison('eq', false, (c) => c === 0)],
  ['ne', comparison('ne', false, (c) => c !== 0)],
  ['lt', comparison('lt', true, (c) => c < 0)],
  ['le', comparison('le', true, (c) => c <= 0)],
  ['gt', comparison('gt', true, (c) => c > 0)],
  ['ge', comparison('ge', true, (c) => c >= 0)],
  [
    'parseInt',
    {
      check(args) {
        const bad = arity('parseInt', args, 3)
        if (bad) return bad
        const [s, base, bits] = args as [Type, Type, Type]
        if (s.kind !== 'string') return `wrong type for value; expected string; got ${typeName(s)}`
        if (base.kind !== 'int' || bits.kind !== 'int')
          return 'parseInt takes a string, a base and a bit size'
        return INT
      },
      call: ([s, base, bits]) => parseUint(s as string, base as bigint, bits as bigint),
    },
  ],
])

/** print and println: fmt.Sprint / Sprintln over printable values. */
export function printCheck(name: string, args: readonly Type[]): Type | string {
  const bad = args.find((t) => !printable(t))
  return bad === undefined ? STRING : `${name} can't print a ${typeName(bad)}`
}

/** Go builtins tsdns leaves out: they name a clear error instead of "not defined". */
export const UNSUPPORTED_FUNCS = new Set(['html', 'js', 'urlquery', 'call'])
