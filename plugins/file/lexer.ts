// Zone-file text (RFC 1035 §5.1) split into entries: one entry a line, or several lines inside
// parentheses; ';' starts a comment; "quoted strings" keep spaces; a backslash escapes the next
// character (kept in the word, the field readers decode it). An entry whose line starts with a
// blank has no owner: it repeats the previous one. Every word keeps its line and column.

export interface Word {
  readonly text: string
  readonly quoted: boolean
  readonly line: number
  readonly col: number
}

export interface Entry {
  readonly words: readonly Word[]
  /** The line began with a space or tab: the owner is the previous entry's. */
  readonly blankOwner: boolean
}

/** A problem at a place in a zone file; the file name is added by the reader. */
export class ZoneSyntaxError extends Error {
  override name = 'ZoneSyntaxError'
  readonly line: number
  readonly col: number
  constructor(at: { readonly line: number; readonly col: number }, message: string) {
    super(message)
    this.line = at.line
    this.col = at.col
  }
}

/**
 * Characters of one entry (all its lines): a record's rdata is at most 65535 octets, which a
 * hex or base64 rendering with comments keeps well under this.
 */
const MAX_ENTRY_CHARS = 256 * 1024

const SPACE = new Set([' ', '\t', '\r'])
const WORD_END = new Set([' ', '\t', '\r', '\n', ';', '(', ')', '"'])

/** The entries of `text`, in order; throws ZoneSyntaxError on unbalanced quotes or parentheses. */
export function* entries(text: string): Generator<Entry> {
  let words: Word[] = []
  let blankOwner = false
  let line = 1
  let lineStart = 0
  let entryStart = 0
  let open: { line: number; col: number } | undefined // the outermost '(' still open
  let depth = 0
  let i = 0
  const at = (pos: number): { line: number; col: number } => ({ line, col: pos - lineStart + 1 })
  while (i < text.length) {
    const c = text[i]!
    if (i === lineStart && depth === 0 && words.length === 0) {
      blankOwner = c === ' ' || c === '\t'
      entryStart = i
    }
    if (i - entryStart > MAX_ENTRY_CHARS) {
      throw new ZoneSyntaxError(at(i), `entry longer than ${MAX_ENTRY_CHARS} characters`)
    }
    if (c === '\n') {
      i++
      line++
      lineStart = i
      if (depth === 0 && words.length > 0) {
        yield { words, blankOwner }
        words = []
      }
    } else if (SPACE.has(c)) {
      i++
    } else if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === '(') {
      if (depth++ === 0) open = at(i)
      i++
    } else if (c === ')') {
      if (--depth < 0) throw new ZoneSyntaxError(at(i), "')' without an opening '('")
      i++
    } else if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1
      if (j >= text.length || text[j] !== '"') {
        throw new ZoneSyntaxError(at(i), 'quoted string not closed on its line')
      }
      words.push({ text: text.slice(i + 1, j), quoted: true, ...at(i) })
      i = j + 1
    } else {
      let j = i
      while (j < text.length && !WORD_END.has(text[j]!)) j += text[j] === '\\' ? 2 : 1
      words.push({ text: text.slice(i, Math.min(j, text.length)), quoted: false, ...at(i) })
      i = j
    }
  }
  if (depth > 0) throw new ZoneSyntaxError(open!, "'(' never closed")
  if (words.length > 0) yield { words, blankOwner }
}

/** A name that does not make a domain name, with why (nameWire's reason, its prefix dropped). */
export function badName(w: Word, what: string, err: unknown): ZoneSyntaxError {
  const why = (err as Error).message.replace(/^dns: /, '')
  return new ZoneSyntaxError(w, `bad ${what} '${w.text}': ${why}`)
}

/**
 * A name as written made absolute: '@' is the origin, a name ending in an unescaped dot is
 * already absolute, any other gets the origin appended.
 */
export function absoluteName(text: string, origin: string): string {
  if (text === '@') return origin
  const trailing = /(\\*)\.$/.exec(text)
  if (trailing !== null && trailing[1]!.length % 2 === 0) return text
  return origin === '.' ? `${text}.` : `${text}.${origin}`
}
