import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lex, NewLine, sourceToken, stripBom } from './lexer.ts'

/** Tokens as [text, line, col, length], line breaks left out. */
function tokens(input: string): [string, number, number, number][] {
  return lex(stripBom(input), 'F')
    .tokens.filter((t) => t.tokenType !== NewLine)
    .map((t) => sourceToken(t, 'F'))
    .map((t) => [t.text, t.line, t.col, t.length])
}

// prettier-ignore
const CASES: readonly { name: string; input: string; expect: [string, number, number, number][] }[] = [
  { name: 'words and lines', input: 'host:123\n\n\t\t  directive', expect: [['host:123', 1, 1, 8], ['directive', 3, 5, 9]] },
  { name: 'braces', input: 'host:123 { directive }', expect: [['host:123', 1, 1, 8], ['{', 1, 10, 1], ['directive', 1, 12, 9], ['}', 1, 22, 1]] },
  { name: 'comments', input: 'a {\n#comment\n  directive\n  # comment\n  foobar # another\n}', expect: [['a', 1, 1, 1], ['{', 1, 3, 1], ['directive', 3, 3, 9], ['foobar', 5, 3, 6], ['}', 6, 1, 1]] },
  { name: 'quoted value', input: 'a "quoted value" b\nfoobar', expect: [['a', 1, 1, 1], ['quoted value', 1, 3, 14], ['b', 1, 18, 1], ['foobar', 2, 1, 6]] },
  { name: 'escaped quotes', input: 'A "quoted \\"value\\" inside" B', expect: [['A', 1, 1, 1], ['quoted "value" inside', 1, 3, 25], ['B', 1, 29, 1]] },
  { name: 'no other escapes', input: '"don\'t\\escape" "don\'t\\\\escape" "C:\\php\\x.exe"', expect: [["don't\\escape", 1, 1, 14], ["don't\\\\escape", 1, 16, 15], ['C:\\php\\x.exe', 1, 32, 14]] },
  { name: 'quote across lines', input: 'A "line\n\t\tbreak" {\n  x\n}', expect: [['A', 1, 1, 1], ['line\n\t\tbreak', 1, 3, 5], ['{', 2, 10, 1], ['x', 3, 3, 1], ['}', 4, 1, 1]] },
  { name: 'empty string', input: 'empty "" string', expect: [['empty', 1, 1, 5], ['', 1, 7, 2], ['string', 1, 10, 6]] },
  { name: 'CR characters are skipped', input: 'skip those\r\nCR characters\r\n', expect: [['skip', 1, 1, 4], ['those', 1, 6, 5], ['CR', 2, 1, 2], ['characters', 2, 4, 10]] },
  { name: "a lone '\\r' does not split a word", input: 'a\rb', expect: [['ab', 1, 1, 2]] },
  { name: 'BOM', input: '\uFEFFa b', expect: [['a', 1, 1, 1], ['b', 1, 3, 1]] },
  { name: 'BOM only at the start', input: 'a\uFEFFb', expect: [['a\uFEFFb', 1, 1, 3]] },
  { name: "'#' mid-word", input: 'foo#bar baz\nnext', expect: [['foo', 1, 1, 3], ['baz', 1, 9, 3], ['next', 2, 1, 4]] },
  { name: "'#' at a token start", input: 'foo #bar baz\nnext', expect: [['foo', 1, 1, 3], ['next', 2, 1, 4]] },
  { name: "'#' right after a quote", input: '"a"#b c\nd', expect: [['a', 1, 1, 3], ['d', 2, 1, 1]] },
  { name: "'#' inside quotes", input: '"a # b"', expect: [['a # b', 1, 1, 7]] },
  { name: 'a quote inside a word', input: 'foo"bar" baz', expect: [['foo"bar"', 1, 1, 8], ['baz', 1, 10, 3]] },
  { name: 'a word right after a quote', input: '"a"b', expect: [['a', 1, 1, 3], ['b', 1, 4, 1]] },
  // U+200B (zero-width space) is not whitespace for Go either
  { name: 'unicode whitespace', input: 'a\u00a0b\u0085c\u2028d\u3000e\u200bf', expect: [['a', 1, 1, 1], ['b', 1, 3, 1], ['c', 1, 5, 1], ['d', 1, 7, 1], ['e\u200bf', 1, 9, 3]] },
]

for (const c of CASES) {
  test(`lex: ${c.name}`, () => {
    assert.deepEqual(tokens(c.input), c.expect)
  })
}

test('lex: braces are structural only as whole words', () => {
  const kinds = lex('{ } {} a{ {$X} {#c\n}\r\n', 'F').tokens.map(
    (t) => `${t.tokenType.name}:${sourceToken(t, 'F').text}`,
  )
  assert.deepEqual(kinds, [
    'LCurly:{',
    'InlineRCurly:}',
    'Word:{}',
    'Word:a{',
    'Word:{$X}',
    'LCurly:{',
    'NewLine:\n',
    'RCurly:}',
    'NewLine:\n',
  ])
})

test('lex: a quoted brace is a brace (caddy compares token texts)', () => {
  const kinds = lex('"{" "}" "{}" "{"x\n"}"\n', 'F').tokens.map((t) => {
    const { text, length } = sourceToken(t, 'F')
    return `${t.tokenType.name}:${text}:${length}`
  })
  assert.deepEqual(kinds, [
    'LCurly:{:3',
    'InlineRCurly:}:3',
    'Quoted:{}:4',
    'LCurly:{:3',
    'Word:x:1',
    'NewLine:\n:1',
    'RCurly:}:3',
    'NewLine:\n:1',
  ])
})

test('lex: raw text and end line are kept for the formatter', () => {
  const [quoted] = lex('"a\\"\nb" x#y', 'F').tokens.map((t) => sourceToken(t, 'F'))
  assert.deepEqual(quoted, {
    text: 'a"\nb',
    file: 'F',
    line: 1,
    col: 1,
    length: 4,
    raw: '"a\\"\nb"',
    quoted: true,
    endLine: 2,
  })
})

test('lex: comments are collected', () => {
  assert.deepEqual(
    lex('a # one\n# two\nb#three', 'F').comments.map((c) => [c.raw, c.line]),
    [
      ['# one', 1],
      ['# two', 2],
    ],
  )
})

test('lex: an unclosed quote is the one lexing error', () => {
  const result = lex('a {\n  b "c\n}\n', 'F')
  assert.deepEqual(
    result.errors.map((e) => [e.line, e.col, e.code, e.detail]),
    [[2, 5, 'COREFILE_SYNTAX', `unexpected EOF, expecting '"' to close this quote`]],
  )
})

test('lex: every character starts a token (chevrotain never fails)', () => {
  let seed = 7
  const chars = [
    'a',
    ' ',
    '\n',
    '\r',
    '\t',
    '"',
    '\\',
    '#',
    '{',
    '}',
    '$',
    '%',
    '\u00a0',
    '\u2028',
    'é',
  ]
  for (let i = 0; i < 300; i++) {
    let text = ''
    for (let j = 0; j < 40; j++)
      text += chars[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % chars.length]
    assert.doesNotThrow(() => lex(text, 'F'), JSON.stringify(text))
  }
})
