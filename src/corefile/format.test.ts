import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { errorsOf, NODE_LOCAL, summary, VALID } from './fixtures.test.ts'
import { formatCorefile } from './format.ts'
import { lex, stripBom } from './lexer.ts'
import { loadCorefile } from './load.ts'

const comments = (text: string) => lex(stripBom(text), 'F').comments.map((c) => c.raw.trimEnd())

describe('every valid input', () => {
  for (const c of VALID) {
    test(c.name, () => {
      const once = formatCorefile(c.input)
      assert.equal(formatCorefile(once), once, 'idempotent')
      const load = (text: string) =>
        summary(loadCorefile({ file: 'Corefile', text }, { env: c.env ?? {} }).blocks)
      assert.equal(load(once), load(c.input), 'same meaning')
      assert.deepEqual(comments(once), comments(c.input), 'comments kept')
    })
  }
})

test('canonical layout', () => {
  const input = [
    '# node-local',
    'cluster.local:53   {   # main',
    '  errors',
    '      cache {',
    '            success 9984 30',
    '',
    '',
    '            denial 9984 5 # short',
    '    }',
    '    forward .    "10.96.0.10" {',
    '            force_tcp',
    '      # nothing else',
    '    }',
    '    }',
    'a.example,',
    '  b.example',
    '{',
    '\tlog',
    '}',
    '# the end',
  ].join('\r\n')
  const expect = [
    '# node-local',
    'cluster.local:53 { # main',
    '    errors',
    '    cache {',
    '        success 9984 30',
    '',
    '        denial 9984 5 # short',
    '    }',
    '    forward . "10.96.0.10" {',
    '        force_tcp',
    '        # nothing else',
    '    }',
    '}',
    '',
    'a.example, b.example {',
    '    log',
    '}',
    '# the end',
    '',
  ].join('\n')
  assert.equal(formatCorefile(input), expect)
})

test('node-local: closing braces move to their block', () => {
  const out = formatCorefile(NODE_LOCAL)
  assert.ok(
    out.startsWith('cluster.local:53 {\n    errors\n    cache {\n        success 9984 30\n'),
  )
  assert.ok(out.includes('    health 169.254.20.10:8080\n}\n\nin-addr.arpa:53 {\n'), out)
})

test('tokens are written as they were: quotes, escapes, env, mid-word comments', () => {
  const input =
    '{$ZONE} {\n  template IN A {\n    answer "{{ .Name }} 60 IN A \\"x\\""   "a\n b"\n  }\n  forward . 1.1.1.1#dns\n  x "" {}\n}\n'
  const expect =
    '{$ZONE} {\n    template IN A {\n        answer "{{ .Name }} 60 IN A \\"x\\"" "a\n b"\n    }\n    forward . 1.1.1.1#dns\n    x "" {}\n}\n'
  assert.equal(formatCorefile(input), expect)
})

test("words after '{' and '}' move to lines of their own, an import that would change stays", () => {
  const input =
    '. { whoami # w\n    forward . 1.1.1.1 { force_tcp\n    }\n} b.example {\n}\nc.example\nlog\n} import d {\n    x { import s\n    }\n}\n'
  const expect =
    '. {\n    whoami # w\n    forward . 1.1.1.1 {\n        force_tcp\n    }\n}\n\nb.example {\n}\n\nc.example\nlog\n} import d {\n    x { import s\n    }\n}\n'
  assert.equal(formatCorefile(input), expect)
})

test('snippets, imports and brace-less blocks', () => {
  const input =
    '(common) {\nerrors\n}\nimport   conf.d/*.server\nexample.org\nimport common\ncache {\nsuccess 10\n}\n'
  const expect =
    '(common) {\n    errors\n}\nimport conf.d/*.server\n\nexample.org\nimport common\ncache {\n    success 10\n}\n'
  assert.equal(formatCorefile(input), expect)
})

test('blank lines: one between blocks, above the comments that introduce a block', () => {
  const input = 'a {\n}\n# about b\n# more\nb {\n}\n\n\n\n# about c\n\nc {\n\n\n    x\n\n}\n'
  const expect = 'a {\n}\n\n# about b\n# more\nb {\n}\n\n# about c\n\nc {\n    x\n}\n'
  assert.equal(formatCorefile(input), expect)
})

test('empty input stays empty', () => {
  assert.equal(formatCorefile(''), '')
  assert.equal(formatCorefile('\n\n'), '')
  assert.equal(formatCorefile('# just this\n'), '# just this\n')
})

test('refuses what does not parse, with every error', () => {
  const errors = errorsOf(() =>
    formatCorefile('. { whoami }\n\nb {\n    log }\n}\n', 'my.Corefile'),
  )
  assert.deepEqual(
    errors.map((e) => [e.file, e.line, e.col]),
    [
      ['my.Corefile', 1, 12],
      ['my.Corefile', 4, 9],
    ],
  )
  assert.equal(errorsOf(() => formatCorefile('a, {\n}\n'))[0]!.line, 1)
})
