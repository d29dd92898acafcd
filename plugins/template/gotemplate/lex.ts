// The lexer of Go's text/template (text/template/parse/lex.go) for the default delimiters:
// text between actions, and inside `{{ }}` the items the parser needs. Trim markers (`{{- ` and
// ` -}}`) are applied here, to the neighbouring text, as Go does. Comments are dropped.

export class TemplateSyntaxError extends Error {
  /** Offset and length of the offending text in the template source. */
  readonly offset: number
  readonly length: number
  constructor(message: string, offset: number, length = 1) {
    super(message)
    this.name = 'TemplateSyntaxError'
    this.offset = offset
    this.length = Math.max(1, length)
  }
}

export type ItemKind =
  | 'text'
  | 'open' // {{
  | 'close' // }}
  | 'space'
  | 'identifier' // a function name or keyword
  | 'field' // .Name
  | 'variable' // $x or $
  | 'dot' // .
  | 'string' // "..." or `...`
  | 'number'
  | 'bool'
  | 'nil'
  | 'declare' // :=
  | 'assign' // =
  | 'pipe' // |
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'char' // a character constant: recognised so that it can be refused clearly
  | 'eof'

export interface Item {
  readonly kind: ItemKind
  /** The item as written (for strings: with their quotes). */
  readonly text: string
  readonly offset: number
}

const SPACE = ' \t\r\n'
const isSpace = (c: string | undefined): boolean => c !== undefined && c !== '' && SPACE.includes(c)
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c)

/** Splits a template into items; throws TemplateSyntaxError for what Go's lexer rejects. */
export function lex(src: string): Item[] {
  const items: Item[] = []
  let pos = 0
  let trimNext = false
  for (;;) {
    const open = src.indexOf('{{', pos)
    let textEnd = open === -1 ? src.length : open
    let start = pos
    if (trimNext) {
      while (start < textEnd && isSpace(src[start])) start++
      trimNext = false
    }
    const leftTrim = open !== -1 && src[open + 2] === '-' && isSpace(src[open + 3])
    if (leftTrim) while (textEnd > start && isSpace(src[textEnd - 1])) textEnd--
    if (textEnd > start) {
      items.push({ kind: 'text', text: src.slice(start, textEnd), offset: start })
    }
    if (open === -1) break
    const inner = leftTrim ? open + 4 : open + 2
    const comment = lexComment(src, open, inner)
    if (comment !== undefined) {
      pos = comment.end
      trimNext = comment.trim
      continue
    }
    items.push({ kind: 'open', text: '{{', offset: open })
    const action = lexAction(src, inner, items)
    pos = action.end
    trimNext = action.trim
  }
  items.push({ kind: 'eof', text: '', offset: src.length })
  return items
}

/** `{{/* ... *\/}}`: undefined when the action is not a comment. */
function lexComment(
  src: string,
  open: number,
  inner: number,
): { end: number; trim: boolean } | undefined {
  if (!src.startsWith('/*', inner)) return undefined
  const close = src.indexOf('*/', inner + 2)
  if (close === -1) throw new TemplateSyntaxError('unclosed comment', open, 2)
  let after = close + 2
  const trim = isSpace(src[after]) && src[after + 1] === '-' && src.startsWith('}}', after + 2)
  if (trim) after += 2
  if (!src.startsWith('}}', after)) {
    throw new TemplateSyntaxError('comment ends before closing delimiter', close, 2)
  }
  return { end: after + 2, trim }
}

/** Items of one action, from just after `{{` (and its trim marker) through `}}`. */
function lexAction(src: string, start: number, items: Item[]): { end: number; trim: boolean } {
  let pos = start
  let parens = 0
  const push = (kind: ItemKind, from: number, to: number): void => {
    items.push({ kind, text: src.slice(from, to), offset: from })
  }
  for (;;) {
    // the right delimiter, with or without its trim marker
    if (isSpace(src[pos]) && src[pos + 1] === '-' && src.startsWith('}}', pos + 2)) {
      if (parens > 0) throw new TemplateSyntaxError('unclosed left paren', pos)
      push('close', pos + 2, pos + 4)
      return { end: pos + 4, trim: true }
    }
    if (src.startsWith('}}', pos)) {
      if (parens > 0) throw new TemplateSyntaxError('unclosed left paren', pos)
      push('close', pos, pos + 2)
      return { end: pos + 2, trim: false }
    }
    const c = src[pos]
    if (c === undefined) throw new TemplateSyntaxError('unclosed action', start - 2, 2)
    const from = pos
    if (isSpace(c)) {
      // stop before a space that starts ` -}}`: it belongs to the delimiter
      while (isSpace(src[pos]) && !(src[pos + 1] === '-' && src.startsWith('}}', pos + 2))) pos++
      push('space', from, pos)
      continue
    }
    switch (c) {
      case '=':
        push('assign', pos, ++pos)
        continue
      case ':':
        if (src[pos + 1] !== '=') throw new TemplateSyntaxError('expected :=', pos)
        pos += 2
        push('declare', from, pos)
        continue
      case '|':
        push('pipe', pos, ++pos)
        continue
      case ',':
        push('comma', pos, ++pos)
        continue
      case '(':
        parens++
        push('lparen', pos, ++pos)
        continue
      case ')':
        if (--parens < 0) throw new TemplateSyntaxError('unexpected right paren', pos)
        push('rparen', pos, ++pos)
        continue
      case '"':
        pos = quoted(src, pos, '"', 'unterminated quoted string')
        push('string', from, pos)
        continue
      case '`':
        pos = quoted(src, pos, '`', 'unterminated raw quoted string')
        push('string', from, pos)
        continue
      case "'":
        pos = quoted(src, pos, "'", 'unterminated character constant')
        push('char', from, pos)
        continue
      case '$':
        pos++
        while (isAlnum(src[pos])) pos++
        push('variable', from, pos)
        pos = checkTerm(src, pos)
        continue
      case '.':
        if (/[0-9]/.test(src[pos + 1] ?? '')) break // a number such as .5
        pos++
        while (isAlnum(src[pos])) pos++
        push(pos === from + 1 ? 'dot' : 'field', from, pos)
        if (pos > from + 1) pos = checkTerm(src, pos)
        continue
    }
    if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
      pos = number(src, pos)
      push('number', from, pos)
      continue
    }
    if (isAlnum(c)) {
      while (isAlnum(src[pos])) pos++
      const word = src.slice(from, pos)
      push(
        word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier',
        from,
        pos,
      )
      pos = checkTerm(src, pos)
      continue
    }
    throw new TemplateSyntaxError(`unrecognized character in action: '${c}'`, pos)
  }
}

/** After an identifier, field or variable only these may follow (Go's atTerminator). */
function checkTerm(src: string, pos: number): number {
  const c = src[pos]
  if (c === undefined || isSpace(c) || '.,|:)('.includes(c) || src.startsWith('}}', pos)) {
    return pos
  }
  throw new TemplateSyntaxError(`bad character '${c}'`, pos)
}

function quoted(src: string, pos: number, q: string, unterminated: string): number {
  const start = pos
  pos++
  for (;;) {
    const c = src[pos]
    if (c === undefined || (c === '\n' && q !== '`'))
      throw new TemplateSyntaxError(unterminated, start)
    if (c === '\\' && q !== '`') pos++
    else if (c === q) return pos + 1
    pos++
  }
}

/** Go's scanNumber: an optional sign, then digits in any base with '_' separators and more. */
function number(src: string, pos: number): number {
  const start = pos
  if (src[pos] === '+' || src[pos] === '-') pos++
  while (pos < src.length && /[0-9a-zA-Z_.+-]/.test(src[pos]!)) {
    // a sign is part of the number only right after an exponent letter
    if ((src[pos] === '+' || src[pos] === '-') && !/[eEpP]/.test(src[pos - 1]!)) break
    pos++
  }
  if (pos === start || (pos === start + 1 && /[+-]/.test(src[start]!))) {
    throw new TemplateSyntaxError(`bad number syntax: '${src.slice(start, pos + 1)}'`, start)
  }
  return pos
}
