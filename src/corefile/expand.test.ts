import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { substituteEnv } from './expand.ts'
import { MAX_FILE_IMPORTS, MAX_SNIPPET_EXPANSIONS } from './limits.ts'
import { errorsOf, summary } from './fixtures.test.ts'
import { loadCorefile, loadCorefileFile } from './load.ts'

const dirs: string[] = []
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A fresh directory holding `files`; returns its path. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsdns-import-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

const loadIn = (dir: string, text: string) =>
  loadCorefile({ file: path.join(dir, 'Corefile'), text }, { env: {} })

describe('substituteEnv (caddy replaceEnvVars, parse_test.go TestEnvironmentReplacement)', () => {
  const env = { A: 'x', B: 'y y', REF: '{$A}', WREF: '{%A%}', UREF: '{$REF}' }
  // prettier-ignore
  const cases: [string, string][] = [
    ['{$A}', 'x'],
    ['{%A%}', 'x'],
    ['pre{$A}post{%B%}', 'prexposty y'],
    ['{$A}{$A}', 'xx'],
    ['{$UNSET}', ''],
    ['{$}', '{$}'],
    ['{%A}', '{%A}'],
    ['{$A', '{$A'],
    ['{{ .Name }}', '{{ .Name }}'],
    // a value is searched again for references, as caddy does
    ['{$REF}', 'x'],
    ['{$UREF}', 'x'],
    ['{%REF%}', 'x'], // the {$...} pass runs after the {%...%} one
    ['{$WREF}', '{%A%}'], // ...and not the other way round
    // an empty reference ends the pass for the rest of the token
    ['{$}{$A}', '{$}{$A}'],
    ['{%%}{%A%}x%}', '{%%}{%A%}x%}'],
    ['{%A%}{$}{$A}', 'x{$}{$A}'],
    ['{%}{$A}', '{%}x'],
    // a reference runs to the first end mark: {$PORT$} names 'PORT$' (unset)
    [':{$PORT$}', ':'],
    ['{{ .Name }} {$A}', '{{ .Name }} x'],
    ['{%A} {%B%}', ''],
    ['{$toString}', ''], // Object.prototype is not the environment
  ]
  for (const [input, expect] of cases)
    test(input, () => assert.equal(substituteEnv(input, env), expect))

  test('values referring to each other (caddy hangs) are an error', () => {
    for (const loop of [{ L: '{$L}' }, { L: 'a{$L}{$L}' }, { L: '{$M}', M: '{$L}' }])
      assert.throws(() => substituteEnv('x{$L}', loop), /refer to each other without end/)
  })

  test('the error points at the token', () => {
    const text = '. {\n    log {$L}\n}\n'
    const [e] = errorsOf(() => loadCorefile({ file: 'Corefile', text }, { env: { L: '{$L}' } }))
    assert.deepEqual([e!.code, e!.line, e!.col], ['COREFILE_VALUE', 2, 9])
  })
})

describe('import files', () => {
  test('server blocks from a file in key position', () => {
    const dir = tree({ 'servers.conf': 'a.example {\n    whoami\n}\nb.example {\n    log\n}\n' })
    const loaded = loadIn(dir, 'import servers.conf\n. {\n    errors\n}\n')
    assert.equal(summary(loaded.blocks), 'a.example { whoami } | b.example { log } | . { errors }')
    const file = path.join(dir, 'servers.conf')
    assert.deepEqual(loaded.blocks[1]!.directives[0]!.name, {
      text: 'log',
      file,
      line: 5,
      col: 5,
      length: 3,
    })
    assert.equal(loaded.sources.get(file), 'a.example {\n    whoami\n}\nb.example {\n    log\n}\n')
  })

  test('directives between directives and inside a block', () => {
    const dir = tree({ 'common.conf': 'errors\ncache 30\n', 'opts.conf': 'force_tcp\n' })
    const loaded = loadIn(
      dir,
      '. {\n    log\n    import common.conf\n    forward . 1.1.1.1 {\n        import opts.conf\n    }\n}\n',
    )
    assert.equal(
      summary(loaded.blocks),
      '. { log; errors; cache 30; forward . 1.1.1.1 { force_tcp } }',
    )
  })

  test('globs: one file per match, sorted, dot files included', () => {
    const dir = tree({
      'conf.d/b.server': 'b {\n}\n',
      'conf.d/a.server': 'a {\n}\n',
      'conf.d/.c.server': 'c {\n}\n',
      'conf.d/x.txt': 'x {\n}\n',
    })
    assert.equal(summary(loadIn(dir, 'import conf.d/*.server').blocks), 'c { } | a { } | b { }')
    assert.equal(summary(loadIn(dir, 'import conf.d/?.server').blocks), 'a { } | b { }')
  })

  test('a wildcard directory keeps only the entries that exist', () => {
    const dir = tree({
      'sites/one/Corefile': 'one {\n}\n',
      'sites/two/other': '',
      'sites/three/Corefile': 'three {\n}\n',
    })
    assert.equal(summary(loadIn(dir, 'import sites/*/Corefile').blocks), 'one { } | three { }')
  })

  test('paths are relative to the importing file', () => {
    const dir = tree({
      'sub/a.conf': 'import b.conf\n',
      'sub/b.conf': 'b.example {\n    whoami\n}\n',
    })
    const loaded = loadIn(dir, 'import sub/a.conf')
    assert.equal(summary(loaded.blocks), 'b.example { whoami }')
    assert.equal(loaded.blocks[0]!.keys[0]!.file, path.join(dir, 'sub', 'b.conf'))
  })

  test('absolute paths and env in the pattern', () => {
    const dir = tree({ 'x.conf': 'x.example {\n}\n' })
    assert.equal(
      summary(
        loadCorefile({ file: 'Corefile', text: 'import {$DIR}/x.conf' }, { env: { DIR: dir } })
          .blocks,
      ),
      'x.example { }',
    )
  })

  test('snippets declared in one file are used in another', () => {
    const dir = tree({
      'site.conf': 'example.com {\n    import common\n}\n',
      'snips.conf': '(late) {\n    log\n}\n',
    })
    const loaded = loadIn(
      dir,
      '(common) {\n    gzip foo\n}\nimport site.conf\nimport snips.conf\n. {\n    import late\n}\n',
    )
    assert.equal(summary(loaded.blocks), 'example.com { gzip foo } | . { log }')
    assert.equal(loaded.blocks[0]!.directives[0]!.name.file, path.join(dir, 'Corefile'))
  })

  test("imported 'import' arguments are words", () => {
    const dir = tree({ 'a.conf': 'example.com {\n    basicauth / import password\n}\n' })
    assert.equal(
      summary(loadIn(dir, 'import a.conf').blocks),
      'example.com { basicauth / import password }',
    )
  })

  test('BOM and CRLF in an imported file', () => {
    const dir = tree({ 'win.conf': '\uFEFFwin.example {\r\n    whoami\r\n}\r\n' })
    const loaded = loadIn(dir, 'import win.conf')
    assert.equal(summary(loaded.blocks), 'win.example { whoami }')
    assert.equal(loaded.blocks[0]!.keys[0]!.col, 1)
  })

  test('a file imported twice is read and reported once', () => {
    const dir = tree({ 'bad.conf': 'x }\n' })
    const errors = errorsOf(() =>
      loadIn(dir, 'a {\n    import bad.conf\n}\nb {\n    import bad.conf\n}\n'),
    )
    assert.deepEqual(
      errors.map((e) => [path.basename(e.file), e.line, e.col]),
      [['bad.conf', 1, 3]],
    )
  })

  test('an empty glob is a warning', () => {
    const dir = tree({})
    const loaded = loadIn(dir, '. {\n    import conf.d/*.conf\n}\n')
    assert.equal(summary(loaded.blocks), '. { }')
    assert.deepEqual(
      loaded.warnings.map((w) => [w.code, w.line, w.col, w.detail]),
      [['COREFILE_IMPORT', 2, 12, 'No files matching import glob pattern: conf.d/*.conf']],
    )
  })

  test('files can be served from memory', () => {
    const files: Record<string, string> = {
      '/etc/tsdns/Corefile': 'import conf.d/*\n',
      '/etc/tsdns/conf.d/a': 'a {\n}\n',
    }
    const dirs: Record<string, string[]> = { '/etc/tsdns/conf.d': ['a'] }
    const readFile = (f: string) => {
      if (files[f] === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' })
      return files[f]
    }
    const loaded = loadCorefileFile('/etc/tsdns/Corefile', {
      env: {},
      readFile,
      readDir: (d) => dirs[d] ?? [],
    })
    assert.equal(summary(loaded.blocks), 'a { }')
  })
})

describe('import errors', () => {
  test('a missing file', () => {
    const dir = tree({})
    const [e] = errorsOf(() => loadIn(dir, '. {\n    import nope.conf\n}\n'))
    assert.deepEqual(
      [e!.code, e!.line, e!.col, e!.detail],
      ['COREFILE_IMPORT', 2, 12, 'file to import not found: nope.conf'],
    )
  })

  test('a directory', () => {
    const dir = tree({ 'conf.d/a': '' })
    const [e] = errorsOf(() => loadIn(dir, 'import conf.d'))
    assert.deepEqual(
      [e!.code, e!.line, e!.col, e!.detail],
      ['COREFILE_IMPORT', 1, 8, `could not import ${path.join(dir, 'conf.d')}: is a directory`],
    )
  })

  test('a glob matching a directory', () => {
    const dir = tree({ 'd/sub/x': '', 'd/a.conf': 'a {\n}\n' })
    const [e] = errorsOf(() => loadIn(dir, 'import d/*'))
    assert.equal(e!.detail, `could not import ${path.join(dir, 'd', 'sub')}: is a directory`)
  })

  test('a file importing itself', () => {
    const dir = tree({ 'self.conf': 'import self.conf\n' })
    const [e] = errorsOf(() => loadIn(dir, 'import self.conf'))
    const self = path.join(dir, 'self.conf')
    assert.deepEqual(
      [e!.file, e!.line, e!.col, e!.detail],
      [self, 1, 8, `import cycle: ${self} -> ${self}`],
    )
  })

  test('files importing each other', () => {
    const dir = tree({ 'a.conf': 'import b.conf\n', 'b.conf': '\nimport a.conf\n' })
    const [e] = errorsOf(() => loadIn(dir, 'import a.conf'))
    const [a, b] = [path.join(dir, 'a.conf'), path.join(dir, 'b.conf')]
    assert.deepEqual([e!.file, e!.line, e!.detail], [b, 2, `import cycle: ${a} -> ${b} -> ${a}`])
  })

  test('the main file imported again', () => {
    const dir = tree({ Corefile: 'import Corefile\n' })
    const [e] = errorsOf(() => loadCorefileFile(path.join(dir, 'Corefile'), { env: {} }))
    assert.match(e!.detail, /^import cycle: .*Corefile -> .*Corefile$/)
  })

  test('errors in imported files carry their name and render with sources', () => {
    const dir = tree({ 'bad.conf': 'b.example {\n    whoami }\n}\n', 'worse.conf': '"' })
    const text = 'a.example {\n    import worse.conf\n}\nimport bad.conf\n'
    const errors = errorsOf(() => loadIn(dir, text))
    assert.deepEqual(
      errors.map((e) => [path.basename(e.file), e.line, e.col]),
      [
        ['worse.conf', 1, 1],
        ['bad.conf', 2, 12],
      ],
    )
    const rendered = errors[1]!.render(`b.example {\n    whoami }\n}\n`)
    assert.ok(rendered.endsWith(' 2 |     whoami }\n   |            ^'), rendered)
  })

  test(`at most ${MAX_SNIPPET_EXPANSIONS} snippet expansions`, () => {
    // 10 + 100 + 1000 + 10000 expansions
    const level = (name: string, next: string) =>
      `(${name}) {\n${`    import ${next}\n`.repeat(10)}}\n`
    const text = `(d) {\n    log\n}\n${level('c', 'd')}${level('b', 'c')}${level('a', 'b')}. {\n${'    import a\n'.repeat(10)}}\n`
    const errors = errorsOf(() => loadCorefile({ file: 'Corefile', text }, { env: {} }))
    assert.equal(
      errors[0]!.detail,
      `maximum snippet import depth (${MAX_SNIPPET_EXPANSIONS}) exceeded`,
    )
  })

  test(`at most ${MAX_FILE_IMPORTS} file imports`, () => {
    // 10 + 100 + ... + 100000 import lines
    const files: Record<string, string> = { '6.conf': '' }
    for (let i = 5; i >= 1; i--) files[`${i}.conf`] = `import ${i + 1}.conf\n`.repeat(10)
    const dir = tree(files)
    const errors = errorsOf(() => loadIn(dir, '. {\n' + '    import 1.conf\n'.repeat(10) + '}\n'))
    assert.equal(errors[0]!.detail, `maximum file import depth (${MAX_FILE_IMPORTS}) exceeded`)
  })
})
