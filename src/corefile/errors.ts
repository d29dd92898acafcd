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
  /** The bare message, without location or plugin prefix; a token of megabytes is clipped. */
  readonly detail: string

  constructor(code: CorefileErrorCode, at: Located, detail: string, plugin?: string) {
    const prefix = plugin ? `plugin/${plugin}: ` : ''
    const clipped = clip(detail)
    super(`${at.file}:${at.line}:${at.col} - ${prefix}${clipped}`)
    this.name = 'CorefileError'
    this.code = code
    this.file = at.file
    this.line = at.line
    this.col = at.col
    this.length = Math.max(1, at.length)
    this.plugin = plugin
    this.detail = clipped
  }

  /**
   * The message plus the offending line and a caret, given the text of `this.file`. A long line
   * is shown around the caret only.
   */
  render(source: string | undefined): string {
    const line = source === undefined ? undefined : lineOf(source, this.line)
    if (line === undefined) return this.message
    const num = String(this.line)
    const pad = ' '.repeat(num.length)
    const start = Math.max(0, this.col - 1 - CONTEXT)
    const { text, from } = window(line, start)
    // keep the line's tabs in front of the caret so it lines up however tabs are displayed
    const indent = Math.max(0, this.col - 1 - from)
    const width = Math.max(1, Math.min(this.length, text.length - indent))
    const caret = text.slice(0, indent).replace(/[^\t]/g, ' ').padEnd(indent) + '^'.repeat(width)
    return `${this.message}\n ${num} | ${text}\n ${pad} | ${caret}`
  }
}

/** Characters of a message, and of a source line, shown; the caret gets CONTEXT before it. */
const MAX_DETAIL = 400
const MAX_LINE = 160
const CONTEXT = 60
const ELLIPSIS = '…'

/** A long message keeps its start and its end (where a long token's closing quote is). */
function clip(text: string): string {
  if (text.length <= MAX_DETAIL) return text
  const half = (MAX_DETAIL >> 1) - 1
  return text.slice(0, half) + ELLIPSIS + text.slice(-half)
}

/**
 * At most MAX_LINE characters of `line` from `start`, an ellipsis for each side cut; `from` is
 * the index in `line` of the shown text's first character (the leading ellipsis stands in for
 * `line[from]`).
 */
function window(line: string, start: number): { text: string; from: number } {
  if (line.length <= MAX_LINE) return { text: line, from: 0 }
  const end = Math.min(line.length, start + MAX_LINE)
  const tail = end < line.length ? ELLIPSIS : ''
  if (start === 0) return { text: line.slice(0, end) + tail, from: 0 }
  return { text: ELLIPSIS + line.slice(start, end) + tail, from: start - 1 }
}

/** Line `n` (from 1) without its line break, found without splitting a large file. */
function lineOf(source: string, n: number): string | undefined {
  let at = 0
  for (let i = 1; i < n; i++) {
    at = source.indexOf('\n', at) + 1
    if (at === 0) return undefined
  }
  const end = source.indexOf('\n', at)
  const line = source.slice(at, end === -1 ? undefined : end)
  return line.endsWith('\r') ? line.slice(0, -1) : line
}

/** Errors listed in a message or shown by the CLI (a CorefileErrors keeps them all). */
const MAX_LISTED = 100

/** The first MAX_LISTED errors, one a line as `format` gives each, then how many more. */
export function listErrors(
  errors: readonly CorefileError[],
  format: (e: CorefileError) => string,
): string {
  const more = errors.length - MAX_LISTED
  const listed = errors.slice(0, MAX_LISTED).map(format)
  return (more > 0 ? [...listed, `... and ${more} more errors`] : listed).join('\n')
}

/** Several errors at once (lexing and syntax report them all). */
export class CorefileErrors extends Error {
  readonly errors: readonly CorefileError[]
  constructor(errors: readonly CorefileError[]) {
    // the message is a log line at a failed reload: a generated Corefile can have thousands
    super(listErrors(errors, (e) => e.message))
    this.name = 'CorefileErrors'
    this.errors = errors
  }
}
