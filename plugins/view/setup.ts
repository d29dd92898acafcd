// view: the block serves a query only when its expressions hold (CoreDNS plugin/view). Blocks of
// the same zone and port may then coexist; the server tries them in Corefile order and takes the
// first whose view passes (src/server/server.ts). In the chain it only hands the query on.

import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { compile, ExpressionError, type Program } from '../../src/plugin/expression/parse.ts'
import { requestEnv, type RequestState } from '../../src/plugin/expression/request-env.ts'
import { definePlugin, nextOrFailure, type ViewFilter } from '../../src/plugin/plugin.ts'

const NAME = 'view'

export interface ViewConfig {
  readonly name: string
  readonly programs: readonly Program<RequestState>[]
}

/** `view NAME { expr EXPRESSION... }`: every expr must hold. */
function parseView(stanzas: readonly Directive[]): ViewConfig {
  const d = stanzas[0]!
  const [name] = args(d, 1, 1, NAME)
  const programs: Program<RequestState>[] = []
  for (const opt of d.block ?? []) {
    if (opt.name.text !== 'expr') throw unknownProperty(opt, NAME)
    programs.push(compileTokens(opt))
  }
  return { name: name!.text, programs }
}

/** The expr's words joined by one space, as CoreDNS joins them; an error points at its word. */
function compileTokens(opt: Directive): Program<RequestState> {
  const words = opt.args
  const text = words.map((t) => t.text).join(' ')
  try {
    return compile(text, requestEnv)
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err
    throw new CorefileError('COREFILE_VALUE', tokenAt(opt, err.offset), err.message, NAME)
  }
}

/** The token holding character `offset` of the joined words, its column moved to the spot. */
function tokenAt(opt: Directive, offset: number): Token {
  let start = 0
  for (const t of opt.args) {
    if (offset <= start + t.text.length) {
      const into = Math.max(0, Math.min(offset - start, t.length - 1))
      return { ...t, col: t.col + into, length: Math.max(1, t.length - into) }
    }
    start += t.text.length + 1
  }
  return opt.args.at(-1) ?? opt.name
}

/** CoreDNS View.Filter: true when every program yields true; an error or anything else is false. */
function filter(cfg: ViewConfig): ViewFilter {
  const programs = cfg.programs
  return {
    name: cfg.name,
    pass(r, w) {
      const state: RequestState = { r, w }
      for (const p of programs) {
        try {
          if (p(state) !== true) return false
        } catch {
          return false
        }
      }
      return true
    },
  }
}

export default definePlugin<ViewConfig>({
  name: NAME,
  once: true,
  parse: parseView,
  setup(cfg, ctx) {
    ctx.viewFilter(filter(cfg))
    return (next) => ({
      name: NAME,
      serveDNS: (c, w, r) => nextOrFailure(NAME, next, c, w, r),
    })
  },
})
