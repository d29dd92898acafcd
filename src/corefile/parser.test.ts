import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CorefileErrors } from './errors.ts'
import { expandCorefile } from './expand.ts'
import { summary } from './fixtures.test.ts'
import { formatCorefile } from './format.ts'
import { groupServerBlocks, parseCorefile, type Line } from './parser.ts'

/** Lines as nested arrays of words; a block is the array after its line's words. */
function shape(lines: readonly Line[]): unknown[] {
  return lines.map((l) => [
    ...l.words.map((w) => w.text),
    ...(l.block ? [shape(l.block.lines)] : []),
  ])
}

test('lines nest with their blocks', () => {
  const parsed = parseCorefile('a b {\n  c {\n    d 1\n  }\n  e { }\n}\nf\n{\n}\n', 'F')
  assert.deepEqual(shape(parsed.lines), [
    [
      'a',
      'b',
      [
        ['c', [['d', '1']]],
        ['e', []],
      ],
    ],
    ['f'],
    [[]],
  ])
})

test('server blocks from top-level lines', () => {
  const { lines } = parseCorefile('import a\nx, \ny {\n}\nz\n{\n}\nbrace-less\nd1\nd2 {\n}\n', 'F')
  const { items, errors } = groupServerBlocks(lines, (t) => t.text)
  assert.deepEqual(errors, [])
  const described = items.map((item) =>
    item.kind === 'import'
      ? `import ${item.line.words[1]!.text}`
      : `${item.keys.map((k) => k.text).join('+')}:${item.block ? 'braced' : 'bare'}:${item.body.length}`,
  )
  assert.deepEqual(described, ['import a', 'x+y:braced:0', 'z:braced:0', 'brace-less:bare:2'])
})

/** Random Corefile-like text: nested blocks of random words, then maybe one character changed. */
function randomCorefile(next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!
  // prettier-ignore
  const words = ['a', 'b.c', '.', '{$X}', 'import', '(s)', 'x,', '"q r"', '"q\nr"', '""', 'w#c', '{}', 'a\\b']
  const breaks = ['\n', '\r\n', '\n\n', ' # c\n', '\n# c\n']
  const lines = (depth: number): string => {
    let out = ''
    for (let n = next() % 4; n > 0; n--) {
      out +=
        '  '.repeat(depth) +
        Array.from({ length: 1 + (next() % 3) }, () => pick(words)).join(pick([' ', '\t']))
      if (depth < 3 && next() % 2 === 0)
        out += ` {${pick(breaks)}${lines(depth + 1)}${'  '.repeat(depth)}}`
      out += pick(breaks)
    }
    return out
  }
  const text = lines(0)
  if (next() % 2 === 0 || text === '') return text
  const at = next() % text.length
  return text.slice(0, at) + pick(['', '{', '}', '"', '\n', '#', ' ']) + text.slice(at + 1)
}

test('any input: no crash; what parses formats idempotently, keeping its meaning', () => {
  // mulberry32: deterministic, and its low bits are as random as the high ones
  let seed = 11
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }
  const meaning = (text: string) => {
    try {
      const fs = { readFile: () => '', readDir: () => [] }
      return summary(expandCorefile('F', text, { env: {}, ...fs }).blocks)
    } catch (err) {
      // details only: positions move when the layout changes
      const details = (err as CorefileErrors).errors.map((e) => e.detail.replace(/ \(at .*\)$/, ''))
      return details.join('\n')
    }
  }
  let formatted = 0
  let refused = 0
  for (let i = 0; i < 2000; i++) {
    const text = randomCorefile(next)
    let once: string
    try {
      once = formatCorefile(text)
    } catch (err) {
      assert.ok(err instanceof CorefileErrors, `${String(err)} for ${JSON.stringify(text)}`)
      refused++
      continue
    }
    formatted++
    assert.equal(formatCorefile(once), once, JSON.stringify(text))
    assert.equal(meaning(once), meaning(text), JSON.stringify(text))
  }
  assert.ok(formatted > 500 && refused > 100, `${formatted} formatted, ${refused} refused`)
})
