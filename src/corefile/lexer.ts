// Corefile lexer, token for token like coredns/caddy's caddyfile/lexer.go:
// - words are split on Unicode whitespace (Go's unicode.IsSpace); '\r' is dropped everywhere
//   outside quotes, even inside a word; a leading BOM is skipped;
// - a token that *starts* with '"' runs to the next unescaped '"' (newlines included); inside it
//   only \" is an escape, every other backslash stays as written; an empty "" is a token;
// - an unquoted '#' starts a comment. Caddy's lexer has a quirk we keep: a '#' in the middle of a
//   word ends the word and hides only the rest of that word (`foo#bar baz` gives `foo baz`), while
//   a '#' at the start of a token hides the rest of the line;
// - '{' and '}' are structural as whole words: `{$VAR}`, `a{` or `{}` are words. A quoted "{" or
//   "}" is a brace too, since caddy compares token texts (dispenser.go: `Val() == "{"`).
// Newlines are tokens: the parser works line by line, as caddy's dispenser does.
// The one lexing error is a quote never closed (caddy silently takes the rest of the file).

import {
  createToken,
  Lexer,
  type CustomPatternMatcherFunc,
  type IToken,
  type TokenType,
} from './chevrotain.ts'
import type { Token } from './ast.ts'
import { CorefileError } from './errors.ts'

/** Go's unicode.IsSpace without '\n' (a token of its own) and '\r' (ignored). */
const SPACE = '\\t\\v\\f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
/** The rest of a word, to whitespace; a mid-word '#' starts a comment that ends with the word. */
const WORD_REST = `[^${SPACE}\\n#]*(?:#[^${SPACE}\\n]*)?`
/** A brace is a whole word: nothing but '\r' or a mid-word comment may follow it before a space. */
const brace = (ch: string): RegExp =>
  new RegExp(`"\\${ch}"|\\${ch}\\r*(?:#[^${SPACE}\\n]*)?(?![^${SPACE}\\n])`)

export const Text = createToken({ name: 'Text', pattern: Lexer.NA })
export const NewLine = createToken({ name: 'NewLine', pattern: /\n/, line_breaks: true })
const Space = createToken({
  name: 'Space',
  pattern: new RegExp(`[${SPACE}\\r]+`),
  group: Lexer.SKIPPED,
})
const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, group: 'comments' })
const Quoted = createToken({
  name: 'Quoted',
  pattern: { exec: quoted },
  line_breaks: true,
  start_chars_hint: ['"'],
  categories: [Text],
})
const Unclosed = createToken({ name: 'Unclosed', pattern: /"[^]*/, line_breaks: true })
export const LCurly = createToken({ name: 'LCurly', pattern: brace('{'), label: "'{'" })
/** A `}` first on its line: the only kind that closes a block. */
export const RCurly = createToken({
  name: 'RCurly',
  pattern: { exec: firstOnLine(brace('}')) },
  line_breaks: false,
  label: "'}'",
})
/** A `}` after other tokens on its line: only valid right after `{` (an empty block). */
export const InlineRCurly = createToken({
  name: 'InlineRCurly',
  pattern: brace('}'),
  label: "'}'",
})
const Word = createToken({
  name: 'Word',
  pattern: new RegExp(`[^${SPACE}\\r\\n#"]${WORD_REST}`),
  categories: [Text],
})

export const tokenTypes: TokenType[] = [
  NewLine,
  Space,
  Comment,
  // before Quoted: chevrotain takes the first pattern that matches, and "{" is a brace
  LCurly,
  RCurly,
  InlineRCurly,
  Quoted,
  Unclosed,
  Text,
  Word,
]

const config: ConstructorParameters<typeof Lexer>[1] = {
  positionTracking: 'full',
  lineTerminatorsPattern: /\n/g,
  lineTerminatorCharacters: ['\n'],
}
// chevrotain's checks of the token definitions cost ~10 ms of every start: the tests run them
const lexer = new Lexer(tokenTypes, { ...config, skipValidations: true })

/** Builds the lexer with chevrotain's validations on: throws on a token definition mistake. */
export function checkTokens(): void {
  new Lexer(tokenTypes, config)
}

/** Match `re` at `offset` only if no token precedes it on its line. */
function firstOnLine(re: RegExp): CustomPatternMatcherFunc {
  const sticky = new RegExp(re.source, 'y')
  return (text, offset, tokens) => {
    const previous = tokens.at(-1)
    if (previous !== undefined && previous.tokenType !== NewLine) return null
    sticky.lastIndex = offset
    return sticky.exec(text)
  }
}

/**
 * `"` to the next `"` not escaped by a backslash (a backslash escapes any character). A loop, not
 * the regex /"(?:[^"\\]|\\[^])*"/: V8 backtracks that one character by character and a quoted
 * token of a few MB overflows its stack ("Maximum call stack size exceeded", without a location).
 */
function quoted(text: string, offset: number): RegExpExecArray | null {
  if (text.charCodeAt(offset) !== QUOTE) return null
  const end = quoteEnd(text, offset)
  return end === undefined ? null : ([text.slice(offset, end)] as unknown as RegExpExecArray)
}

/** Just past the `"` closing the one at `offset`; undefined when none does. */
function quoteEnd(text: string, offset: number): number | undefined {
  for (let i = offset + 1; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (ch === BACKSLASH) i++
    else if (ch === QUOTE) return i + 1
  }
  return undefined
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** A token as written: its Corefile text plus what the parser and the formatter need. */
export interface SourceToken extends Token {
  /** The token exactly as written: quotes, escapes, a mid-word comment. */
  readonly raw: string
  readonly quoted: boolean
  /** Line of the token's last character (a quoted token may span lines). */
  readonly endLine: number
}

export interface LexResult {
  /** Chevrotain tokens for the parser; use `sourceToken` for the Corefile view of one. */
  readonly tokens: IToken[]
  readonly comments: readonly SourceToken[]
  readonly errors: CorefileError[]
}

const SPACES = new RegExp(`[${SPACE}\\r]+`, 'y')
const WORD_RUN = new RegExp(`[^${SPACE}\\n]+`, 'y')

/**
 * The tokens `lex` would make of `text` (words, braces, quoted strings, line breaks, comments),
 * counted without making them: the lexer spends ~260 bytes on each, so a file is measured before
 * it is lexed. Stops at the first token past `limit` and gives its offset as `past`.
 */
export function countTokens(text: string, limit: number): { count: number; past?: number } {
  let count = 0
  for (let i = 0; i < text.length; ) {
    SPACES.lastIndex = i
    if (SPACES.test(text)) i = SPACES.lastIndex
    if (i >= text.length) break
    if (++count > limit) return { count, past: i }
    const ch = text.charCodeAt(i)
    if (ch === NEWLINE) i++
    else if (ch === HASH) i = lineEnd(text, i)
    else if (ch === QUOTE) i = quoteEnd(text, i) ?? text.length // unclosed: the rest is one
    else {
      WORD_RUN.lastIndex = i
      WORD_RUN.test(text)
      i = WORD_RUN.lastIndex
    }
  }
  return { count }
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from)
  return end === -1 ? text.length : end
}

const NEWLINE = 0x0a
const HASH = 0x23

/** Lex one file. `text` must already be without its BOM (see `stripBom`). */
export function lex(text: string, file: string): LexResult {
  const result = lexer.tokenize(text)
  // every character starts some token, so this would be a bug in the token patterns
  if (result.errors.length > 0) throw new Error(`corefile lexer: ${result.errors[0]!.message}`)
  const errors: CorefileError[] = []
  const tokens: IToken[] = []
  for (const t of result.tokens) {
    if (t.tokenType !== Unclosed) tokens.push(t)
    else {
      const quote = { ...sourceToken(t, file), length: 1 }
      const detail = `unexpected EOF, expecting '"' to close this quote`
      errors.push(new CorefileError('COREFILE_SYNTAX', quote, detail))
    }
  }
  const comments = (result.groups['comments'] ?? []).map((t) => sourceToken(t, file))
  return { tokens, comments, errors }
}

export function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text
}

/** Chevrotain marks positions optional; with positionTracking "full" they are always set. */
export function position(t: IToken) {
  const line = t.startLine ?? 1
  const col = t.startColumn ?? 1
  return {
    line,
    col,
    endLine: t.endLine ?? line,
    endCol: t.endColumn ?? col,
    endOffset: t.endOffset ?? t.startOffset,
  }
}

export function sourceToken(t: IToken, file: string): SourceToken {
  const { line, col, endLine } = position(t)
  const raw = t.image
  const quoted = t.tokenType === Quoted
  // a quoted brace is not Quoted (it is a brace) but is unquoted all the same
  const text = raw.startsWith('"') ? unquote(raw) : unquoted(raw)
  return {
    text,
    file,
    line,
    col,
    // the caret spans the first line of a quoted token, and a word without its mid-word comment
    length: raw.startsWith('"') ? raw.split('\n', 1)[0]!.replace(/\r$/, '').length : text.length,
    raw,
    quoted,
    endLine,
  }
}

/** Inside quotes only \" is an escape; any other backslash is kept with what follows it. */
function unquote(raw: string): string {
  return raw.slice(1, -1).replace(/\\([^])/g, (pair, ch: string) => (ch === '"' ? '"' : pair))
}

/** An unquoted word loses its '\r's and any mid-word comment. */
function unquoted(raw: string): string {
  const hash = raw.indexOf('#')
  return (hash === -1 ? raw : raw.slice(0, hash)).replaceAll('\r', '')
}
