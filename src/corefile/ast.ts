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
  /** The `}` written after this line's words, closing the block the line is in. */
  readonly close?: InlineClose
}

/**
 * `errors { stacktrace }`: caddy's Dispenser gives that `}` to an option reading the rest of its
 * line (RemainingArgs), or one argument too many, and the block then stays open. args.ts reads it.
 */
export interface InlineClose {
  readonly token: Token
  /**
   * What the still open block reads next: the next stanza of the same directive in the server
   * block (caddy hands a plugin all of them as one token list). None: the block ends harmlessly.
   */
  readonly next?: Token
}

export interface ServerBlock {
  /** The keys as written (`.:53`, `example.org`, `10.0.0.0/8`), after env expansion. */
  readonly keys: readonly Token[]
  /** Top-level directives in file order; one directive name may appear several times. */
  readonly directives: readonly Directive[]
}
