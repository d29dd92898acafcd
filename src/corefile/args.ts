// Dispenser-style helpers for plugins' parse(), after coredns/caddy's caddyfile/dispenser.go.
// Each error points at a token and names the plugin: `Corefile:4:9 - plugin/cache: ...`.

import type { Directive, Token } from './ast.ts'
import { CorefileError } from './errors.ts'

/** The last token on the directive's line: what "after 'X'" refers to. */
export function lastToken(d: Directive): Token {
  return d.args.at(-1) ?? d.name
}

/**
 * caddy's RemainingArgs with a count check: the rest of the line, where a block's `}` written
 * after the words is one more argument (`health { lameduck 5s }` has two); else caddy's ArgErr.
 */
export function args(d: Directive, min: number, max: number, plugin: string): readonly Token[] {
  const all = lineArgs(d)
  const n = all.length
  if (n >= min && n <= max) return taken(d, all, plugin)
  const expected =
    min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`
  throw argErr(d, all.at(-1) ?? d.name, `expecting ${expected}, got ${n}`, plugin)
}

/** What caddy's RemainingArgs takes from the line, unchecked: its words, and a `}` after them. */
export function lineArgs(d: Directive): readonly Token[] {
  return d.close ? [...d.args, d.close.token] : d.args
}

/** The rest of the line, however many: `args(d, 0, Infinity, plugin)`. */
export function rest(d: Directive, plugin: string): readonly Token[] {
  return args(d, 0, Infinity, plugin)
}

/**
 * caddy's NextArg `n` times, as an option with a fixed count reads: a block's `}` after the
 * words only when one is missing (`{ max_fails }` reads '}'); else the block closes after it
 * (`{ max_concurrent 1000 }`). Words left over are where caddy's next NextBlock reads on: in a
 * block walked with options(), they are the next option (`max_concurrent 1000 force_tcp` is two);
 * elsewhere they are refused.
 */
export function nextArgs(d: Directive, n: number, plugin: string): readonly Token[] {
  if (d.args.length === n) return d.args
  if (d.close && d.args.length === n - 1) return taken(d, [...d.args, d.close.token], plugin)
  if (d.args.length > n && walked.has(d)) {
    const [name, ...words] = d.args.slice(n)
    leftovers.set(d, { ...d, name: name!, args: words })
    return d.args.slice(0, n)
  }
  throw argErr(d, lastToken(d), `expecting ${n}, got ${d.args.length}`, plugin)
}

/** Options yielded by options(), and the option their leftover words make (set by nextArgs). */
const walked = new WeakSet<Directive>()
const leftovers = new WeakMap<Directive, Directive>()

/**
 * A directive's block as caddy's NextBlock loop reads it: each line's option, then the words an
 * option read with nextArgs left over, as the next option. Use it to walk a block whose options
 * read with nextArgs.
 */
export function* options(block: readonly Directive[] | undefined): Generator<Directive> {
  for (const line of block ?? []) {
    for (let opt: Directive | undefined = line; opt !== undefined; opt = leftovers.get(opt)) {
      walked.add(opt)
      yield opt
    }
  }
}

function argErr(d: Directive, after: Token, counts: string, plugin: string): CorefileError {
  const detail = `wrong argument count or unexpected line ending after '${after.text}'`
  const why = after === d.close?.token ? "; the '}' after the words counts, as in CoreDNS" : ''
  return new CorefileError('COREFILE_ARGS', after, `${detail} (${counts}${why})`, plugin)
}

/**
 * Arguments read; if they took the block's `}`, the block is still open and caddy reads the
 * directive's next stanza in the server block as one of its options, which no plugin has.
 */
function taken(d: Directive, read: readonly Token[], plugin: string): readonly Token[] {
  const next = d.close?.next
  if (next === undefined || read.at(-1) !== d.close?.token) return read
  const { line, col } = d.close!.token
  const detail =
    `unknown property '${next.text}': the '}' at ${line}:${col} was read as an argument of ` +
    `'${d.name.text}' (as CoreDNS reads it), so that block reads on into this line`
  throw new CorefileError('COREFILE_UNKNOWN', next, detail, plugin)
}

export function noArgs(d: Directive, plugin: string): void {
  args(d, 0, 0, plugin)
}

/**
 * For directives without options whose CoreDNS setup reads on with NextArg, which takes a `{` for
 * an argument: any block is a mistake, `{ }` too.
 */
export function noBlock(d: Directive, plugin: string): void {
  if (d.block === undefined) return
  const at = lastToken(d)
  const detail = `unexpected '{' after '${at.text}', expecting a line break`
  throw new CorefileError(
    'COREFILE_SYNTAX',
    at,
    `${detail} ('${d.name.text}' takes no block)`,
    plugin,
  )
}

/** For directives without options whose CoreDNS setup asks NextBlock: `{ }` passes, as there. */
export function noOptions(d: Directive, plugin: string): void {
  const first = d.block?.[0]
  if (first !== undefined) throw unknownProperty(first, plugin)
}

/** `default: throw unknownProperty(opt, 'cache')` */
export function unknownProperty(d: Directive, plugin: string): CorefileError {
  return new CorefileError('COREFILE_UNKNOWN', d.name, `unknown property '${d.name.text}'`, plugin)
}

/** CoreDNS plugin.ErrOnce, pointing at the second occurrence. */
export function onceError(d: Directive, plugin: string): CorefileError {
  const detail = 'this plugin can only be used once per Server Block'
  return new CorefileError('COREFILE_SYNTAX', d.name, detail, plugin)
}

/** A decimal integer as Go's strconv.Atoi reads it, optionally within [min, max]. */
export function int(t: Token, plugin: string, range: { min?: number; max?: number } = {}): number {
  const { min, max } = range
  const expecting = `expecting an integer${describeRange(min, max)}`
  const invalid = (what: string) =>
    new CorefileError('COREFILE_VALUE', t, `${what}, ${expecting}`, plugin)
  if (!/^[+-]?\d+$/.test(t.text)) throw invalid(`invalid integer '${t.text}'`)
  const n = Number(t.text)
  if (!Number.isSafeInteger(n) || n < (min ?? -Infinity) || n > (max ?? Infinity)) {
    throw invalid(`integer ${t.text} is out of range`)
  }
  return n
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`
  if (min !== undefined) return ` >= ${min}`
  return max !== undefined ? ` <= ${max}` : ''
}

const NANOSECONDS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
}
const MAX_NANOSECONDS = (1n << 63n) - 1n

/**
 * Go's time.ParseDuration, in milliseconds: a signed sequence of decimal numbers, each with a unit
 * (`1h30m`, `1.5s`, `500ms`, `-2s`). A number without a unit is an error, except `0`.
 */
export function duration(t: Token, plugin: string): number {
  const ns = parseGoDuration(t.text)
  if (typeof ns === 'string') {
    const detail = `invalid duration '${t.text}'${ns}, expecting e.g. 30s, 1m30s or 500ms`
    throw new CorefileError('COREFILE_VALUE', t, detail, plugin)
  }
  return Number(ns) / 1e6
}

/** Nanoseconds, or why the text is not a Go duration (": missing unit", or just ""). */
function parseGoDuration(text: string): bigint | string {
  const sign = /^[+-]?/.exec(text)![0]
  const body = text.slice(sign.length)
  if (body === '0') return 0n
  if (body === '') return ''
  let total = 0n
  for (const [part, whole, fraction = '', unit] of body.matchAll(/(\d*)(?:\.(\d*))?([^\d.]*)/gu)) {
    if (part === '') continue
    if (whole === '' && fraction === '') return ''
    if (unit === '') return ': missing unit'
    const scale = NANOSECONDS[unit!]
    if (scale === undefined) return `: unknown unit '${unit}'`
    // Go adds the fraction as float64(f) * (unit / 10^digits), truncated
    const fractionNs =
      fraction === '' ? 0 : Math.trunc(Number(fraction) * (Number(scale) / 10 ** fraction.length))
    total += BigInt(whole || '0') * scale + BigInt(fractionNs)
    if (total > MAX_NANOSECONDS + (sign === '-' ? 1n : 0n)) return ': out of range'
  }
  return sign === '-' ? -total : total
}
