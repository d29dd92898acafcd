// A Go text/template, compiled once: parse, check against the data's type, build functions.
// See lex.ts, parse.ts and compile.ts for the grammar and funcs.ts for the functions.

import { show } from './ast.ts'
import { compile, type Run } from './compile.ts'
import { parse } from './parse.ts'
import type { Type } from './types.ts'

export { TemplateSyntaxError } from './lex.ts'
export { TemplateExecError } from './compile.ts'
export type { Type, Value } from './types.ts'

export interface GoTemplate {
  /** The template as Go prints its parse tree (Tree.Root.String()). */
  readonly source: string
  /** Throws TemplateExecError for data-dependent failures (index out of range, bad numbers). */
  readonly execute: Run
}

/** Throws TemplateSyntaxError (with the offset of the problem in `src`). */
export function compileTemplate(src: string, name: string, root: Type): GoTemplate {
  const nodes = parse(src)
  return { source: show(nodes), execute: compile(nodes, root, name, src) }
}
