export type CorefileErrorCode =
  | 'COREFILE_SYNTAX' // lexing / structure: braces, quotes, misplaced tokens
  | 'COREFILE_ARGS' // wrong argument count
  | 'COREFILE_VALUE' // an argument with a bad value
  | 'COREFILE_UNKNOWN' // unknown directive or property
  | 'COREFILE_UNSUPPORTED' // a CoreDNS plugin or transport tsdns does not implement
  | 'COREFILE_IMPORT' // import / snippet problems
  | 'COREFILE_KEY' // bad server key (zone, port, scheme, duplicates)

export interface Located {
  readonly file: string
  readonly line: number
  readonly col: number
  readonly length: number
}

/**
 * A configuration error that points at a token: `file:line:col - [plugin/NAME: ]message`.
 * `render(source)` adds the source line and a caret under the token.
 */
export class CorefileError extends Error {
  readonly code: CorefileErrorCode
  readonly file: string
  readonly line: number
  readonly col: number
  readonly length: number
  readonly plugin: string | undefined
  /** The bare message, without location or plugin prefix. */
  readonly detail: string

  constructor(code: CorefileErrorCode, at: Located, detail: string, plugin?: string) {
    const prefix = plugin ? `plugin/${plugin}: ` : ''
    super(`${at.file}:${at.line}:${at.col} - ${prefix}${detail}`)
    this.name = 'CorefileError'
    this.code = code
    this.file = at.file
    this.line = at.line
    this.col = at.col
    this.length = Math.max(1, at.length)
    this.plugin = plugin
    this.detail = detail
  }

  /** The message plus the offending line and a caret, given the text of `this.file`. */
  render(source: string | undefined): string {
    if (source === undefined) return this.message
    const text = source.split(/\r?\n/)[this.line - 1]
    if (text === undefined) return this.message
    const num = String(this.line)
    const pad = ' '.repeat(num.length)
    // keep the line's tabs in front of the caret so it lines up however tabs are displayed
    const indent = Math.max(0, this.col - 1)
    const caret =
      text.slice(0, indent).replace(/[^\t]/g, ' ').padEnd(indent) + '^'.repeat(this.length)
    return `${this.message}\n ${num} | ${text}\n ${pad} | ${caret}`
  }
}

/** Several errors at once (lexing and syntax report them all). */
export class CorefileErrors extends Error {
  readonly errors: readonly CorefileError[]
  constructor(errors: readonly CorefileError[]) {
    super(errors.map((e) => e.message).join('\n'))
    this.name = 'CorefileErrors'
    this.errors = errors
  }
}
