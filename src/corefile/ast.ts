// The parsed Corefile as plugins and the server see it. Every token keeps where it came from,
// so any later error (a plugin's parse, a server key, a reload) can point at it.

export interface Token {
  readonly text: string
  /** The file the token was read from ("Corefile" for stdin / inline text). */
  readonly file: string
  /** 1-based line and column of the token's first character in that file. */
  readonly line: number
  readonly col: number
  /** Characters the token spans on its first line (for the caret under it). */
  readonly length: number
}

/** One line of configuration: `name args... [{ block }]`. Lines inside a block are Directives too. */
export interface Directive {
  readonly name: Token
  readonly args: readonly Token[]
  /** Present when the line opened a `{ ... }` block (possibly empty). */
  readonly block?: readonly Directive[]
}

export interface ServerBlock {
  /** The keys as written (`.:53`, `example.org`, `10.0.0.0/8`), after env expansion. */
  readonly keys: readonly Token[]
  /** Top-level directives in file order; one directive name may appear several times. */
  readonly directives: readonly Directive[]
}
