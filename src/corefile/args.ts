// Dispenser-style helpers for plugins' parse(), after coredns/caddy's caddyfile/dispenser.go.
// Each error points at a token and names the plugin: `Corefile:4:9 - plugin/cache: ...`.

import type { Directive, Token } from './ast.ts'
import { CorefileError } from './errors.ts'

/** The last token on the directive's line: what "after 'X'" refers to. */
export function lastToken(d: Directive): Token {
  return d.args.at(-1) ?? d.name
}

/** The arguments if there are `min` to `max` (maybe Infinity) of them; else caddy's ArgErr. */
export function args(d: Directive, min: number, max: number, plugin: string): readonly Token[] {
  const n = d.args.length
  if (n >= min && n <= max) return d.args
  const expected =
    min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`
  const after = lastToken(d)
  const detail = `wrong argument count or unexpected line ending after '${after.text}'`
  throw new CorefileError(
    'COREFILE_ARGS',
    after,
    `${detail} (expecting ${expected}, got ${n})`,
    plugin,
  )
}

export function noArgs(d: Directive, plugin: string): void {
  args(d, 0, 0, plugin)
}

/** For directives without options: a `{ ... }` after them is a mistake, not something to ignore. */
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
