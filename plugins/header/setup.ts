// header { query|response set|clear FLAG... }: the first stanza with rules is used, as CoreDNS's
// setup returns there; words after `header` are ignored as CoreDNS ignores them.

import type { Directive, Token } from '../../src/corefile/ast.ts'
import { lastToken, noBlock } from '../../src/corefile/args.ts'
import { CorefileError, type CorefileErrorCode } from '../../src/corefile/errors.ts'
import { definePlugin } from '../../src/plugin/plugin.ts'
import { FLAGS, foldRules, headerHandler } from './header.ts'
import type { FlagEdit, FlagName, Rule } from './header.ts'

export interface HeaderConfig {
  readonly query: FlagEdit
  readonly response: FlagEdit
}

const fail = (code: CorefileErrorCode, at: Token, detail: string) =>
  new CorefileError(code, at, `setting up rule: ${detail}`, 'header')

/** One `SELECTOR ACTION FLAGS...` line. */
function parseRule(opt: Directive): { selector: 'query' | 'response'; rules: Rule[] } {
  noBlock(opt, 'header')
  const selector = opt.name.text.toLowerCase()
  if (selector !== 'query' && selector !== 'response') {
    const detail = `invalid selector=${selector} should be query or response`
    throw fail('COREFILE_VALUE', opt.name, detail)
  }
  const [actionTok, ...flagToks] = opt.args
  if (actionTok === undefined) throw fail('COREFILE_ARGS', opt.name, 'no flag action provided')
  const action = actionTok.text.toLowerCase()
  if (action !== 'set' && action !== 'clear') {
    throw fail('COREFILE_VALUE', actionTok, `unknown flag action=${action}, should be set or clear`)
  }
  if (flagToks.length === 0) {
    const detail = 'invalid length for flags, at least one should be provided'
    throw fail('COREFILE_ARGS', actionTok, detail)
  }
  const rules = flagToks.map((t): Rule => {
    const flag = t.text.toLowerCase()
    if (!Object.hasOwn(FLAGS, flag)) {
      throw fail('COREFILE_VALUE', t, `unknown/unsupported flag=${flag}`)
    }
    return { flag: flag as FlagName, state: action === 'set' }
  })
  return { selector, rules }
}

export function parseHeader(stanzas: readonly Directive[]): HeaderConfig {
  for (const d of stanzas) {
    const query: Rule[] = []
    const response: Rule[] = []
    for (const opt of d.block ?? []) {
      const { selector, rules } = parseRule(opt)
      ;(selector === 'query' ? query : response).push(...rules)
    }
    if (query.length > 0 || response.length > 0) {
      return { query: foldRules(query), response: foldRules(response) }
    }
  }
  const at = lastToken(stanzas.at(-1)!)
  const expected = "a block of 'query|response set|clear FLAGS...' lines"
  const detail = `no rules after '${at.text}', expecting ${expected}`
  throw new CorefileError('COREFILE_ARGS', at, detail, 'header')
}

export default definePlugin<HeaderConfig>({
  name: 'header',
  parse: parseHeader,
  setup(cfg) {
    return (next) => headerHandler(cfg.query, cfg.response, next)
  },
})
