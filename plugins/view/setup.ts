// view: the block serves a query only when its expressions hold (CoreDNS plugin/view). Blocks of
// the same zone and port may then coexist; the server tries them in Corefile order and takes the
// first whose view passes (src/server/server.ts). In the chain it only hands the query on.
// With metadata in the block, the filter first collects the request's metadata and provides
// `view/name`, as CoreDNS collects before filtering: its expressions can read metadata().

import type { Directive, Token } from '../../src/corefile/ast.ts'
import { args, unknownProperty } from '../../src/corefile/args.ts'
import { CorefileError } from '../../src/corefile/errors.ts'
import { compile, ExpressionError, type Program } from '../../src/plugin/expression/parse.ts'
import { requestEnv, type RequestState } from '../../src/plugin/expression/request-env.ts'
import { collect, parseMetadata, provide } from '../../src/plugin/metadata.ts'
import { definePlugin, nextOrFailure, type SetupContext, type ViewFilter } from '../../src/plugin/plugin.ts'

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

/** The block's metadata plugin, if it has one: its zones (parsed again, as it parsed them). */
interface Collecting {
  readonly zones: readonly string[]
  readonly block: object
}

function collecting(ctx: SetupContext): Collecting | undefined {
  const stanzas = ctx.block.directives.filter((d) => d.name.text === 'metadata')
  return stanzas.length > 0 ? { zones: parseMetadata(stanzas, ctx.zones), block: ctx.block } : undefined
}

/**
 * CoreDNS View.Filter: true when every program yields true; an error or anything else is false.
 * Before them, metadata's Collect with view as its provider (view/metadata.go).
 */
function filter(cfg: ViewConfig, md: Collecting | undefined): ViewFilter {
  const { name, programs } = cfg
  return {
    name,
    pass(r, w) {
      if (md !== undefined) {
        collect(r, md.zones, md.block)
        provide(r, 'view/name', name)
      }
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
    ctx.viewFilter(filter(cfg, collecting(ctx)))
    return (next) => ({
      name: NAME,
      serveDNS: (c, w, r) => nextOrFailure(NAME, next, c, w, r),
    })
  },
})
