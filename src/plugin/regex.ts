// Regexes in Corefiles run on RE2 (re2js: linear time, Go's syntax), so a pattern can never make
// a query take exponential time. Compile errors point at the token; matching follows Go's
// FindStringSubmatch; `{N}` in a replacement names group N (CoreDNS rewrite, cname, answer).

import { RE2JS } from 're2js'
import type { Token } from '../corefile/ast.ts'
import { CorefileError } from '../corefile/errors.ts'

/** CoreDNS refuses longer patterns (template, errors). */
const MAX_REGEX_LENGTH = 10_000

export function compileRegex(t: Token, plugin: string): RE2JS {
  if (t.text.length > MAX_REGEX_LENGTH) {
    const detail = `regex is ${t.text.length} characters long, the limit is ${MAX_REGEX_LENGTH}`
    throw new CorefileError('COREFILE_VALUE', t, detail, plugin)
  }
  try {
    return RE2JS.compile(t.text)
  } catch (err) {
    const detail = `invalid regex pattern '${t.text}': ${(err as Error).message}`
    throw new CorefileError('COREFILE_VALUE', t, detail, plugin)
  }
}

/** Go's FindStringSubmatch: the leftmost match and its groups ('' when a group took no part). */
export function submatches(re: RE2JS, s: string): string[] | undefined {
  const m = re.matcher(s)
  if (!m.find()) return undefined
  const out: string[] = []
  for (let i = 0; i <= m.groupCount(); i++) out.push(m.group(i) ?? '')
  return out
}

const GROUP_REF = /\{(\d+)\}/g

/** `{N}` replaced by group N; references past the last group stay as written. */
export function expandGroups(replacement: string, groups: readonly string[]): string {
  return replacement.replace(GROUP_REF, (ref, n: string) => groups[Number(n)] ?? ref)
}

/** Results a memoized function keeps before it starts over. */
const MEMO_SIZE = 4096

/**
 * `f` remembering what it returned for the strings it saw last: RE2JS takes about a microsecond
 * to match a name and tens to extract groups, while the names a node asks for keep repeating.
 */
export function memoized<T>(f: (s: string) => T): (s: string) => T {
  const seen = new Map<string, T>()
  return (s) => {
    const hit = seen.get(s)
    if (hit !== undefined || seen.has(s)) return hit as T
    const v = f(s)
    if (seen.size >= MEMO_SIZE) seen.clear()
    seen.set(s, v)
    return v
  }
}

/** The highest `{N}` a replacement uses, for checking it against the pattern's group count. */
export function maxGroupRef(replacement: string): number {
  let max = -1
  for (const [, n] of replacement.matchAll(GROUP_REF)) max = Math.max(max, Number(n))
  return max
}
