// rewrite's Corefile syntax, after CoreDNS plugin/rewrite setup.go and newRule(): one rule per
// stanza, written on the directive's line or, when that has fewer than two words, spread over
// the lines of its block. Errors keep CoreDNS's wording and point at the word at fault.

import type { RE2JS } from 're2js'
import type { Directive, Token } from '../../src/corefile/ast.ts'
import { noBlock } from '../../src/corefile/args.ts'
import { CorefileError, type CorefileErrorCode } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { compileRegex, maxGroupRef, memoized } from '../../src/plugin/regex.ts'
import { rcodeFromName } from '../../src/plugin/rcode.ts'
import { classCode, typeCode } from '../../src/plugin/rrtype.ts'
import { OPTION_NSID, OPTION_SUBNET } from '../../src/wire/opt.ts'
import { RegexRewriter, SuffixRewriter, type ResponseRule } from './response.ts'
import { RewriteHandler } from './rewrite.ts'
import {
  EdnsRule,
  nameMapper,
  NameRule,
  QuestionRule,
  ReplyRule,
  subnetData,
  VARIABLES,
  type EdnsAction,
  type MatchType,
  type Mode,
  type OptionData,
  type Rule,
} from './rules.ts'

const P = 'rewrite'
const MATCH_TYPES: readonly string[] = ['exact', 'prefix', 'suffix', 'substring', 'regex']
const ACTIONS: readonly string[] = ['set', 'replace', 'append', 'unset']

function fail(t: Token, detail: string, code: CorefileErrorCode = 'COREFILE_VALUE'): CorefileError {
  return new CorefileError(code, t, detail, P)
}

/** A wrong number of words, pointing at `t` (the last one there is, or the field). */
function argsError(t: Token, detail: string): CorefileError {
  return fail(t, detail, 'COREFILE_ARGS')
}

/** CoreDNS plugin.Name(s).Normalize(): lowercased and fully qualified. */
function normalize(s: string): string {
  const lower = s.toLowerCase()
  const backslashes = /\\*$/.exec(lower.slice(0, -1))![0].length
  return lower.endsWith('.') && backslashes % 2 === 0 ? lower : `${lower}.`
}

/** A FROM regex whose TO uses no group it does not have. */
function regexPair(from: Token, to: Token): RE2JS {
  const re = compileRegex(from, P)
  if (maxGroupRef(to.text) > re.groupCount()) {
    const detail =
      `the rewrite regex pattern (${to.text}) uses more subexpressions than its ` +
      `corresponding matching regex pattern (${from.text})`
    throw fail(to, detail)
  }
  return re
}

function matchType(t: Token, rule: string): MatchType {
  const m = t.text.toLowerCase()
  if (MATCH_TYPES.includes(m)) return m as MatchType
  const types = 'exact, prefix, suffix, substring, and regex'
  throw fail(t, `${rule} rule supports only ${types} name matching, received: ${t.text}`)
}

/** A test on the query name for ttl and rcode rules. */
function nameTest(match: MatchType, t: Token): (name: string) => boolean {
  if (match === 'regex') {
    const re = compileRegex(t, P)
    return memoized((name) => re.test(name))
  }
  const from = normalize(t.text)
  switch (match) {
    case 'exact':
      return (name) => name === from
    case 'prefix':
      return (name) => name.startsWith(from)
    case 'suffix':
      return (name) => name.endsWith(from)
    default:
      return (name) => name.includes(from)
  }
}

interface Answers {
  readonly auto: boolean
  readonly rules: ResponseRule[]
}

/** `answer auto|name FROM TO|value FROM TO`, repeatable; `answer` is optional after the first. */
function answerRules(field: Token, rest: readonly Token[]): Answers {
  const of = `for ${field.text} rule`
  let auto = false
  let explicitNames = 0
  const rules: ResponseRule[] = []
  for (let i = 0; i < rest.length; ) {
    if (rest[i]!.text === 'answer') i++
    else if (i === 0) {
      const detail = 'exceeded the number of arguments for a non-answer rule argument'
      throw argsError(rest[0]!, `${detail} ${of}`)
    }
    const kind = rest[i]
    if (kind === undefined) throw argsError(rest[i - 1]!, `type missing for answer rule ${of}`)
    i++
    if (kind.text === 'auto') {
      auto = true
      continue
    }
    if (kind.text !== 'name' && kind.text !== 'value') {
      throw fail(kind, `invalid type "${kind.text}" for answer rule ${of}`)
    }
    const [from, to] = [rest[i], rest[i + 1]]
    if (from === undefined || to === undefined) {
      throw argsError(rest.at(-1)!, `${kind.text} answer rule ${of}: 2 arguments required`)
    }
    i += 2
    const rewriter = new RegexRewriter(regexPair(from, to), normalize(to.text))
    rules.push({ kind: kind.text, rewriter })
    if (kind.text === 'name') explicitNames++
  }
  if (auto && explicitNames > 0) {
    throw fail(rest[0]!, 'auto name answer rule cannot be combined with explicit name answer rules')
  }
  return { auto, rules }
}

/** `name [exact|prefix|suffix|substring|regex] FROM TO [answer ...]` */
function nameRule(mode: Mode, field: Token, args: readonly Token[]): Rule {
  if (args.length < 2) throw argsError(args.at(-1) ?? field, 'too few arguments for a name rule')
  const typed = args.length > 2
  const [fromT, toT] = typed ? [args[1]!, args[2]!] : [args[0]!, args[1]!]
  const match: MatchType = typed ? matchType(args[0]!, 'name') : 'exact'
  const answers: Answers =
    args.length > 3 ? answerRules(field, args.slice(3)) : { auto: false, rules: [] }
  const to = normalize(toT.text)
  if (match === 'regex') {
    const map = nameMapper(match, regexPair(fromT, toT), to)
    return new NameRule(mode, map, answers.auto, answers.rules)
  }
  const from = normalize(fromT.text)
  const map = nameMapper(match, from, to)
  if (match === 'exact') return new NameRule(mode, map, true, answers.rules)
  if (match === 'suffix' && answers.auto) {
    // CoreDNS maps the suffix back rather than the whole name (name.go newSuffixNameRule)
    const back = new SuffixRewriter(to, from)
    const auto: ResponseRule[] = [
      { kind: 'name', rewriter: back },
      { kind: 'value', rewriter: back },
    ]
    return new NameRule(mode, map, false, [...auto, ...answers.rules])
  }
  return new NameRule(mode, map, answers.auto, answers.rules)
}

function questionRule(mode: Mode, field: Token, args: readonly Token[]): Rule {
  if (args.length !== 2) {
    throw argsError(args.at(-1) ?? field, `${field.text} rules must have exactly two arguments`)
  }
  const isType = field.text.toLowerCase() === 'type'
  const [from, to] = args.map((t) => {
    const code = isType ? typeCode(t.text) : classCode(t.text)
    if (code === undefined) {
      throw fail(t, `invalid ${isType ? 'type' : 'class'} "${t.text.toUpperCase()}"`)
    }
    return code
  }) as [number, number]
  return new QuestionRule(mode, isType ? 'type' : 'klass', from, to)
}

/** CoreDNS isValidTTL: `N`, `MIN-MAX`, `-MAX` or `MIN-` (not `-`), 32-bit unsigned numbers. */
function ttlRange(t: Token): { min: number; max: number } {
  const u32 = (s: string, empty: number): number | undefined =>
    s === '' ? empty : /^\d+$/.test(s) && Number(s) <= 0xffffffff ? Number(s) : undefined
  const parts = t.text.split('-')
  const [min, max] =
    parts.length === 1 && parts[0] !== ''
      ? [u32(parts[0]!, 0), u32(parts[0]!, 0)]
      : parts.length === 2 && t.text !== '-'
        ? [u32(parts[0]!, 0), u32(parts[1]!, 2147483647)]
        : []
  if (min === undefined || max === undefined || min > max) {
    throw fail(t, `invalid TTL '${t.text}' for a ttl rule`)
  }
  return { min, max }
}

/** `ttl [TYPE] NAME TTL` and `rcode [TYPE] NAME FROM TO`: the name test from optional TYPE. */
function matchedName(
  field: Token,
  args: readonly Token[],
  values: number,
): [(name: string) => boolean, Token[]] {
  const rule = field.text.toLowerCase()
  if (args.length < values + 1) {
    throw argsError(args.at(-1) ?? field, `too few (${args.length}) arguments for a ${rule} rule`)
  }
  if (args.length > values + 2) {
    throw argsError(args[values + 2]!, `too many (${args.length}) arguments for a ${rule} rule`)
  }
  const typed = args.length === values + 2
  const match = typed ? matchType(args[0]!, rule) : 'exact'
  const rest = args.slice(typed ? 1 : 0)
  return [nameTest(match, rest[0]!), rest.slice(1)]
}

/** An rcode by name or number, as CoreDNS isValidRCode (limited to the 4 header bits). */
function rcode(t: Token, which: string): number {
  const n = /^\d+$/.test(t.text) ? Number(t.text) : rcodeFromName(t.text)
  if (n === undefined || n > 15) {
    throw fail(t, `invalid ${which} RCODE '${t.text}' for a rcode rule`)
  }
  return n
}

/** `cname [TYPE] FROM TO`: targets are matched lowercased; the new target is fully qualified. */
function cnameRule(mode: Mode, field: Token, args: readonly Token[]): Rule {
  if (args.length < 2 || args.length > 3) {
    const many = args.length < 2 ? 'few' : 'many'
    throw argsError(args.at(-1) ?? field, `too ${many} (${args.length}) arguments for a cname rule`)
  }
  const typed = args.length === 3
  const t = typed ? args[0]!.text.toLowerCase() : 'exact'
  if (!MATCH_TYPES.includes(t)) throw fail(args[0]!, `unknown cname rewrite type: ${t}`)
  const [fromT, toT] = typed ? [args[1]!, args[2]!] : [args[0]!, args[1]!]
  const match = t as MatchType
  const from =
    match === 'regex'
      ? regexPair(fromT, toT)
      : match === 'exact'
        ? normalize(fromT.text)
        : fromT.text.toLowerCase()
  const to = match === 'exact' ? normalize(toT.text) : toT.text.toLowerCase()
  const map = nameMapper(match, from, to)
  const target = (cname: string): string | undefined => {
    const next = map(cname.toLowerCase())
    return next === undefined ? undefined : normalize(next)
  }
  return new ReplyRule(mode, () => true, { kind: 'cname', target })
}

/** Go's strconv.ParseUint(s, 0, 16): decimal, 0x hex, 0o or leading-0 octal, 0b binary. */
function uint16(t: Token, what: string): number {
  const s = t.text
  const n = /^0[xX][0-9a-fA-F]+$/.test(s)
    ? parseInt(s.slice(2), 16)
    : /^0[bB][01]+$/.test(s)
      ? parseInt(s.slice(2), 2)
      : /^0[oO]?[0-7]+$/.test(s)
        ? parseInt(s.replace(/^0[oO]?/, ''), 8)
        : /^\d+$/.test(s)
          ? Number(s)
          : NaN
  if (!(n <= 0xffff)) throw fail(t, `invalid ${what} '${s}', expecting 0 to 65535 (e.g. 0xffee)`)
  return n
}

/** Local option data: `0x...` hex, a `{variable}`, or the text itself. */
function localData(t: Token): OptionData {
  const s = t.text
  if (s.startsWith('{') && s.endsWith('}')) {
    const v = VARIABLES[s]
    if (v === undefined) throw fail(t, `unsupported variable name "${s}"`)
    return v
  }
  let bytes: Uint8Array
  if (s.startsWith('0x')) {
    if (!/^([0-9a-fA-F]{2})*$/.test(s.slice(2))) throw fail(t, `invalid hex data '${s}'`)
    bytes = Buffer.from(s.slice(2), 'hex')
  } else bytes = Buffer.from(s, 'utf8')
  return () => bytes
}

/**
 * `edns0 local ACTION CODE DATA`, `edns0 nsid ACTION`, `edns0 subnet ACTION V4BITS V6BITS`;
 * `unset` takes no data (local: the code only).
 */
function ednsRule(mode: Mode, field: Token, args: readonly Token[]): Rule {
  if (args.length < 2) throw argsError(args.at(-1) ?? field, 'too few arguments for an EDNS0 rule')
  const [typeT, actionT] = args as [Token, Token]
  const action = actionT.text.toLowerCase()
  if (!ACTIONS.includes(action)) throw fail(actionT, `invalid action: "${action}"`)
  const a = action as EdnsAction
  const unset = a === 'unset'
  const count = (want: number, detail: string): void => {
    if (args.length !== want) throw argsError(args.at(-1)!, detail)
  }
  const none = () => new Uint8Array(0)
  switch (typeT.text.toLowerCase()) {
    case 'local':
      if (unset) count(3, 'EDNS0 local unset rules require exactly one arg')
      else count(4, 'EDNS0 local rules require exactly three args')
      const code = uint16(args[2]!, 'EDNS0 option code')
      return new EdnsRule(mode, a, code, unset ? none : localData(args[3]!))
    case 'nsid':
      count(2, 'EDNS0 NSID rules do not accept args')
      return new EdnsRule(mode, a, OPTION_NSID, none)
    case 'subnet': {
      if (unset) {
        count(2, 'EDNS0 subnet unset rules do not accept args')
        return new EdnsRule(mode, a, OPTION_SUBNET, none)
      }
      count(4, 'EDNS0 subnet rules require exactly three args')
      const v4 = uint16(args[2]!, 'IPv4 bit mask length')
      const v6 = uint16(args[3]!, 'IPv6 bit mask length')
      if (v4 > 32) throw fail(args[2]!, `invalid IPv4 bit mask length ${v4}`)
      if (v6 > 128) throw fail(args[3]!, `invalid IPv6 bit mask length ${v6}`)
      return new EdnsRule(mode, a, OPTION_SUBNET, subnetData(v4, v6))
    }
    default:
      throw fail(typeT, `invalid rule type "${typeT.text}"`)
  }
}

/** One rule: `[continue|stop] FIELD ...` */
function parseRule(d: Directive, words: readonly Token[]): Rule {
  if (words.length === 0) throw argsError(d.name, 'no rule type specified for rewrite')
  const first = words[0]!.text.toLowerCase()
  const hasMode = first === 'continue' || first === 'stop'
  const mode: Mode = first === 'continue' ? 'continue' : 'stop'
  const field = words[hasMode ? 1 : 0]
  if (field === undefined) throw argsError(words[0]!, `${first} rule must begin with a rule type`)
  const args = words.slice(hasMode ? 2 : 1)
  switch (field.text.toLowerCase()) {
    case 'answer':
      throw fail(field, 'response rewrites must begin with a name rule')
    case 'name':
      return nameRule(mode, field, args)
    case 'type':
    case 'class':
      return questionRule(mode, field, args)
    case 'edns0':
      return ednsRule(mode, field, args)
    case 'ttl': {
      const [test, [ttl]] = matchedName(field, args, 1)
      return new ReplyRule(mode, test, { kind: 'ttl', ...ttlRange(ttl!) })
    }
    case 'rcode': {
      const [test, [from, to]] = matchedName(field, args, 2)
      const codes = { from: rcode(from!, 'matching'), to: rcode(to!, 'replacement') }
      return new ReplyRule(mode, test, { kind: 'rcode', ...codes })
    }
    case 'cname':
      return cnameRule(mode, field, args)
    default:
      throw fail(field, `invalid rule type "${field.text}"`, 'COREFILE_UNKNOWN')
  }
}

/** Every stanza is one rule; with fewer than two words on its line, the block's words join them. */
export function parseRewrite(stanzas: readonly Directive[]): Rule[] {
  return stanzas.map((d) => {
    if (d.args.length >= 2) {
      noBlock(d, P)
      return parseRule(d, d.args)
    }
    const words = [...d.args, ...(d.block ?? []).flatMap((line) => {
      noBlock(line, P)
      return [line.name, ...line.args]
    })]
    return parseRule(d, words)
  })
}

export default definePlugin<Rule[]>({
  name: P,
  parse: parseRewrite,
  setup(rules) {
    return (next) => new RewriteHandler(rules, next)
  },
})
