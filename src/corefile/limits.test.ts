// The bounds of limits.ts, each a located error naming it (issue 14 item 9).

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { CorefileError } from './errors.ts'
import { errorsOf } from './fixtures.test.ts'
import { countTokens, lex } from './lexer.ts'
import {
  MAX_FILE_BYTES,
  MAX_FILES,
  MAX_IMPORT_DEPTH,
  MAX_NESTING,
  MAX_TOKENS,
  MAX_TOTAL_BYTES,
} from './limits.ts'
import { loadCorefile } from './load.ts'
import { readBounded } from './read.ts'

const root = mkdtempSync(path.join(tmpdir(), 'tsdns-limits-'))
after(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0

/** A fresh directory holding `files`. */
function tree(files: Record<string, string> = {}): string {
  const dir = path.join(root, String(dirs++))
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}

const load = (dir: string, text: string, env: Record<string, string> = {}) =>
  loadCorefile({ file: path.join(dir, 'Corefile'), text }, { env })

/** The one error of a load, as [line, col, detail]. */
function only(fn: () => unknown): [number, number, string] {
  const errors = errorsOf(fn)
  assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'))
  return [errors[0]!.line, errors[0]!.col, errors[0]!.detail]
}

describe('files: only regular ones, at most MAX_FILE_BYTES', () => {
  test('/dev/zero is refused without reading it', () => {
    const [line, col, detail] = only(() => load(tree(), '. {\n    import /dev/zero\n}\n'))
    assert.deepEqual([line, col], [2, 12])
    assert.equal(detail, 'could not import /dev/zero: not a regular file (a character device)')
  })

  test('a FIFO is refused without blocking on its open', () => {
    const dir = tree()
    execFileSync('mkfifo', [path.join(dir, 'fifo')])
    const [, , detail] = only(() => load(dir, '. {\n    import fifo\n}\n'))
    assert.equal(detail, `could not import ${path.join(dir, 'fifo')}: not a regular file (a FIFO)`)
  })

  test('a file of the limit is read, one byte more is refused', () => {
    const dir = tree({
      fits: 'a'.repeat(MAX_FILE_BYTES),
      over: '#'.repeat(MAX_FILE_BYTES + 1),
    })
    assert.equal(readBounded(path.join(dir, 'fits')).length, MAX_FILE_BYTES)
    assert.throws(() => readBounded(path.join(dir, 'over')), { code: 'EFBIG' })
    const [line, , detail] = only(() => load(dir, '\n\nimport over\n'))
    assert.equal(line, 3)
    assert.match(detail, /^could not import .*over: larger than 1 MiB, the limit for this file$/)
  })

  test(`files add up to at most ${MAX_TOTAL_BYTES} bytes`, () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 5; i++) files[`f${i}`] = `# ${'x'.repeat(MAX_FILE_BYTES - 10)}\n`
    const [line, col, detail] = only(() => load(tree(files), '. {\n    import f*\n}\n'))
    assert.deepEqual([line, col], [2, 12])
    assert.equal(detail, 'files imported add up to more than 4 MiB, the limit')
  })

  test(`an import glob matching more than ${MAX_FILES} files`, () => {
    const files: Record<string, string> = {}
    for (let i = 0; i <= MAX_FILES; i++) files[`f${i}`] = 'log\n'
    const [line, , detail] = only(() => load(tree(files), '. {\n    import f*\n}\n'))
    assert.equal(line, 2)
    assert.equal(detail, `more than ${MAX_FILES} files imported, the limit for a Corefile`)
  })
})

describe('tokens and nesting', () => {
  test('countTokens counts what lex makes', () => {
    const texts = [
      '. {\n  whoami # c\n}\n',
      'a"b c" "q \\" w" x#y z\r\n{$A} "unclosed\n',
      '"{" "}" {\n}\n\u00a0\u3000w\n#only\n\n',
    ]
    for (const text of texts) {
      const lexed = lex(text, 'F')
      const made = lexed.tokens.length + lexed.comments.length + lexed.errors.length
      assert.equal(countTokens(text, Infinity).count, made, JSON.stringify(text))
    }
  })

  test(`a file of more than ${MAX_TOKENS} tokens is not lexed`, () => {
    const text = `. {\n${'    log\n'.repeat(MAX_TOKENS)}}\n`
    const [line, , detail] = only(() => load(tree(), text))
    // `.`, `{`, `\n`, then `log` and `\n` a line: the token past the limit is a line break
    assert.equal(line, 2 + (MAX_TOKENS - 4) / 2)
    assert.match(detail, /^more than 100000 tokens \(words, braces, line breaks\)/)
  })

  test(`braces nested more than ${MAX_NESTING} deep`, () => {
    const depth = MAX_NESTING + 50
    const text = `. {\n    hosts {\n${'{\n'.repeat(depth)}${'}\n'.repeat(depth)}    }\n}\n`
    const [line, col, detail] = only(() => load(tree(), text))
    assert.deepEqual([line, col], [MAX_NESTING + 1, 1])
    assert.equal(detail, `unexpected '{', blocks nest at most ${MAX_NESTING} deep`)
  })

  // Review finding: each snippet starts its own count at 0 in the parser, so 50 snippets of 99
  // levels, each importing the next at its innermost level, overflowed the stack, unlocated.
  test(`braces nested more than ${MAX_NESTING} deep across snippets`, () => {
    const n = 50
    const inner = MAX_NESTING - 1
    let text = ''
    for (let i = 0; i < n; i++) {
      const body = i < n - 1 ? `import s${i + 1}` : 'whoami'
      text += `(s${i}) {\n${'a {\n'.repeat(inner)}${body}\n${'}\n'.repeat(inner)}}\n`
    }
    text += '. {\n    import s0\n}\n'
    const [line, col, detail] = only(() => load(tree(), text))
    // the second snippet's second `a {` is the 101st level: 1 + 99 in s0, then 1 + 1 in s1
    const s1 = 1 + inner + 1 + inner + 1 + 1
    assert.deepEqual([line, col], [s1 + 2, 3])
    assert.equal(detail, `blocks nest more than ${MAX_NESTING} deep across imports and snippets`)
  })

  test('a quoted token of almost 1 MiB lexes (no regex backtracking) and its error is clipped', () => {
    const long = 'a\\"'.repeat(300_000)
    const text = `. {\n    import "${long}"\n}\n`
    const [e] = errorsOf(() => load(tree(), text))
    assert.deepEqual([e!.line, e!.col], [2, 12])
    assert.ok(e!.message.length < 600, `message of ${e!.message.length} characters`)
    const rendered = e!.render(text).split('\n')
    assert.ok(rendered[1]!.length < 200, `line shown with ${rendered[1]!.length} characters`)
    assert.equal(rendered[2], `   |            ${'^'.repeat(rendered[1]!.length - 16)}`)
  })

  test('the caret follows a long line when it is far in', () => {
    const text = `. {\n    whoami ${'a '.repeat(5000)}"\n}\n`
    const [e] = errorsOf(() => load(tree(), text))
    const [, shown, caret] = e!.render(text).split('\n')
    assert.equal(shown!.indexOf('"'), caret!.indexOf('^'))
    assert.ok(shown!.includes('…'))
  })
})

describe('expansion', () => {
  test(`snippets doubling per level stop at ${MAX_TOKENS} tokens, at the import`, () => {
    let text = `(s0) {\n${'    log\n'.repeat(100)}}\n`
    for (let i = 1; i <= 40; i++) text += `(s${i}) {\n    import s${i - 1}\n    import s${i - 1}\n}\n`
    text += '. {\n    import s40\n}\n'
    const [line, col, detail] = only(() => load(tree(), text))
    assert.deepEqual([line, col], [text.split('\n').length - 2, 12])
    assert.match(detail, /^import expands to more than 100000 tokens/)
  })

  test(`imports nest at most ${MAX_IMPORT_DEPTH} deep`, () => {
    let text = '(s0) {\n    log\n}\n'
    for (let i = 1; i <= MAX_IMPORT_DEPTH + 10; i++) text += `(s${i}) {\n    import s${i - 1}\n}\n`
    text += `. {\n    import s${MAX_IMPORT_DEPTH + 10}\n}\n`
    const [, , detail] = only(() => load(tree(), text))
    assert.equal(detail, `imports nest more than ${MAX_IMPORT_DEPTH} deep (files or snippets)`)
  })

  test(`environment values add up to at most ${MAX_TOTAL_BYTES} bytes`, () => {
    const env = { BIG: 'x'.repeat(100_000) }
    const text = `${'{$BIG},\n'.repeat(100)}{$BIG} {\n    whoami\n}\n`
    const [line, col, detail] = only(() => load(tree(), text, env))
    assert.deepEqual([line, col], [Math.ceil(MAX_TOTAL_BYTES / 100_001), 1])
    assert.equal(detail, 'environment values substituted add up to more than 4 MiB')
  })

  test('thousands of comma-continued key lines are read once each', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}.example,`).join('\n')
    const loaded = load(tree(), `${keys}\nlast.example {\n    whoami\n}\n`)
    assert.equal(loaded.blocks[0]!.keys.length, 20_001)
  })
})

test('a CorefileError clips a message of megabytes, keeping both ends', () => {
  const at = { file: 'F', line: 1, col: 1, length: 1 }
  const e = new CorefileError('COREFILE_ARGS', at, `after '${'a'.repeat(1 << 20)}'`)
  assert.ok(e.detail.length <= 400)
  assert.ok(e.detail.startsWith("after 'aaa") && e.detail.endsWith("aaa'") && e.detail.includes('…'))
})
