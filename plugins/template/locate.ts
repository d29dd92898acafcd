// Where a character of a token's text sits in the Corefile, so that an error inside a long
// argument (a template) points at the exact spot rather than at the whole token. Plugins see a
// token's text, start and written length on its first line; from those the spot is certain when
// the token was written plainly or quoted with every '"' escaped. Otherwise (a multi-line
// token, an env substitution) the whole token is the location.

import type { Token } from '../../src/corefile/ast.ts'
import type { Located } from '../../src/corefile/errors.ts'

export function locate(t: Token, offset: number, length: number): Located {
  const text = t.text
  if (text.includes('\n') || offset > text.length) return t
  const quotes = (i: number): number => text.slice(0, i).split('"').length - 1
  const plain = t.length === text.length
  // quoted: the opening quote, and a backslash before each '"' of the text
  const quoted = t.length === text.length + 2 + quotes(text.length)
  if (!plain && !quoted) return t
  const shift = (i: number): number => (plain ? i : 1 + i + quotes(i))
  const end = Math.min(offset + length, text.length)
  return {
    file: t.file,
    line: t.line,
    col: t.col + shift(offset),
    length: Math.max(1, shift(end) - shift(offset)),
  }
}
