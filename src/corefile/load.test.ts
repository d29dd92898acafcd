import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { CorefileError, type CorefileErrorCode } from './errors.ts'
import { errorsOf, summary, VALID } from './fixtures.test.ts'
import { loadCorefile, loadCorefileFile } from './load.ts'

const load = (text: string, env: Record<string, string> = {}) =>
  loadCorefile({ file: 'Corefile', text }, { env })

describe('valid Corefiles', () => {
  for (const c of VALID) {
    test(c.name, () => assert.equal(summary(load(c.input, c.env).blocks), c.expect))
  }
})

interface InvalidCase {
  readonly name: string
  readonly input: string
  readonly code: CorefileErrorCode
  readonly line: number
  readonly col: number
  readonly message: string
}

const long = `${Array(4).fill('a'.repeat(63)).join('.')}.abc`

// prettier-ignore
const INVALID: readonly InvalidCase[] = [
  // braces
  // caddy: "Unexpected '}' because no matching opening brace" (parse.go directive()); a directive's
  // block on one line parses (test/oneline.test.ts has what each plugin then makes of it), and a
  // `}` where keys start is a key (test/fixtures/oneline/cases.ts WHOLE_CASES)
  { name: 'block on one line', input: '. { whoami }', code: 'COREFILE_SYNTAX', line: 1, col: 12, message: "unexpected '}' because no matching opening brace (a server block's '}' starts its line)" },
  { name: "'}' after a directive", input: '. {\n    whoami }\n}', code: 'COREFILE_SYNTAX', line: 2, col: 12, message: "unexpected '}' because no matching opening brace (a server block's '}' starts its line)" },
  { name: "'}' after a directive in a brace-less block", input: '.\n    whoami }', code: 'COREFILE_SYNTAX', line: 2, col: 12, message: "unexpected token '}', expecting a line break or '{' (no block is open for it to close)" },
  { name: "words after a one-line block's '}'", input: '. {\n    errors { stacktrace } x\n}', code: 'COREFILE_SYNTAX', line: 2, col: 27, message: "unexpected token 'x', expecting a line break (a block's '}' ends its line)" },
  { name: 'unclosed block', input: '. {\n    whoami\n', code: 'COREFILE_SYNTAX', line: 1, col: 3, message: "unexpected EOF, expecting '}' to close this '{'" },
  { name: 'unclosed outer block', input: '. {\n    cache {\n        success 10\n}\n', code: 'COREFILE_SYNTAX', line: 1, col: 3, message: "unexpected EOF, expecting '}'" },
  { name: "'}' after a directive's '}'", input: '. {\n    cache {\n    } }\n}', code: 'COREFILE_SYNTAX', line: 3, col: 7, message: "unexpected '}' because no matching opening brace (a server block's '}' starts its line)" },
  { name: "'} }' after a directive's block in a brace-less block", input: 'example.org\ncache {\n} }', code: 'COREFILE_SYNTAX', line: 3, col: 3, message: "unexpected '}' because no matching opening brace" },
  { name: "'{' after '{'", input: '. { {\n}\n}', code: 'COREFILE_SYNTAX', line: 1, col: 5, message: "unexpected token '{', expecting '}' or a word or a line break" },
  { name: "words after a directive's '}' in a brace-less block", input: 'example.org\ncache {\n} 30', code: 'COREFILE_SYNTAX', line: 3, col: 3, message: "unexpected token '30', expecting a line break" },
  { name: "directive '{' on the next line", input: '. {\n    forward . 1.1.1.1\n    {\n    }\n}', code: 'COREFILE_SYNTAX', line: 3, col: 5, message: "unexpected token '{', expecting '}' (a block opens on the same line as its directive)" },
  { name: "words after '}'", input: '. {\n    cache {\n    } 30\n}', code: 'COREFILE_SYNTAX', line: 3, col: 7, message: "unexpected token '30', expecting a line break" },
  // `b` is the first line of a's block, which the `}` closes: the server block stays open
  { name: "a quoted '{' argument opens a block", input: '. {\n    a "{" b\n}', code: 'COREFILE_SYNTAX', line: 1, col: 3, message: "unexpected EOF, expecting '}' to close this '{'" },
  { name: 'unclosed quote', input: '. {\n    answer "abc\n}', code: 'COREFILE_SYNTAX', line: 2, col: 12, message: `unexpected EOF, expecting '"' to close this quote` },
  // keys
  { name: 'comma before the brace', input: 'a.example, {\n}', code: 'COREFILE_SYNTAX', line: 1, col: 12, message: "expecting another key after 'a.example,' (check for an extra comma)" },
  { name: 'comma at EOF', input: 'a.example,', code: 'COREFILE_SYNTAX', line: 1, col: 1, message: "unexpected EOF, expecting another key after 'a.example,'" },
  { name: 'brace line in a brace-less block', input: 'example.org\nwhoami\n{\n}', code: 'COREFILE_SYNTAX', line: 3, col: 1, message: "unexpected token '{', expecting a directive" },
  { name: "data after the last colon", input: '.: {\n}', code: 'COREFILE_KEY', line: 1, col: 1, message: 'expecting data after last colon: ".:"' },
  { name: 'empty label', input: 'a..b {\n}', code: 'COREFILE_KEY', line: 1, col: 1, message: 'zone is not a valid domain name: a..b' },
  { name: 'leading dot', input: '.example.org {\n}', code: 'COREFILE_KEY', line: 1, col: 1, message: 'zone is not a valid domain name: .example.org' },
  { name: 'no zone', input: ':53 {\n}', code: 'COREFILE_KEY', line: 1, col: 1, message: 'zone is not a valid domain name: ' },
  { name: 'zone too long', input: `${long} {\n}`, code: 'COREFILE_KEY', line: 1, col: 1, message: 'specified zone is too long: 259 > 255' },
  { name: 'label too long', input: `${'a'.repeat(64)}.example {\n}`, code: 'COREFILE_KEY', line: 1, col: 1, message: 'zone is not a valid domain name' },
  { name: 'port out of range', input: 'example.org:70000 {\n}', code: 'COREFILE_KEY', line: 1, col: 1, message: 'invalid port 70000' },
  { name: 'CIDR starting with a colon', input: 'a.example ::/64 {\n}', code: 'COREFILE_KEY', line: 1, col: 11, message: 'invalid CIDR ::/64' },
  { name: 'IPv6 CIDR starting with 0', input: '0::/64 {\n}', code: 'COREFILE_KEY', line: 1, col: 1, message: 'invalid CIDR 0::/64' },
  { name: 'unknown scheme', input: 'foo://example.org {\n}', code: 'COREFILE_KEY', line: 1, col: 1, message: "unknown scheme 'foo://'" },
  { name: 'unix://', input: 'unix://example.org {\n}', code: 'COREFILE_UNSUPPORTED', line: 1, col: 1, message: 'unix:// is not supported by tsdns, only dns:// and tls:// are' },
  { name: 'grpc://', input: '. grpc://example.org {\n}', code: 'COREFILE_UNSUPPORTED', line: 1, col: 3, message: 'grpc:// is not supported' },
  { name: 'https://', input: 'https://example.org:8443 {\n}', code: 'COREFILE_UNSUPPORTED', line: 1, col: 1, message: 'https:// is not supported' },
  { name: 'https3://', input: 'https3://example.org {\n}', code: 'COREFILE_UNSUPPORTED', line: 1, col: 1, message: 'https3:// is not supported' },
  { name: 'quic://', input: 'quic://. {\n}', code: 'COREFILE_UNSUPPORTED', line: 1, col: 1, message: 'quic:// is not supported' },
  { name: 'same zone and port twice', input: 'example.org {\n}\nexample.org:53 {\n}', code: 'COREFILE_KEY', line: 3, col: 1, message: 'cannot serve dns://example.org.:53 - it is already defined (at Corefile:1:1)' },
  { name: 'same zone in other case', input: 'Example.ORG {\n}\n\nexample.org. {\n}', code: 'COREFILE_KEY', line: 4, col: 1, message: 'cannot serve dns://example.org.:53' },
  { name: 'same zone from a CIDR', input: '10.0.0.0/8 {\n}\n10.in-addr.arpa {\n}', code: 'COREFILE_KEY', line: 3, col: 1, message: 'cannot serve dns://10.in-addr.arpa.:53' },
  { name: 'same key in one block', input: 'a.example a.example {\n}', code: 'COREFILE_KEY', line: 1, col: 11, message: 'cannot serve dns://a.example.:53' },
  { name: 'same zone, port and bind address twice', input: '. {\n    bind 127.0.0.1\n}\n.:53 {\n    bind ::1 127.0.0.1\n}', code: 'COREFILE_KEY', line: 4, col: 1, message: 'cannot serve dns://.:53 on 127.0.0.1 - it is already defined (at Corefile:1:1)' },
  { name: 'unbound after bound', input: '. {\n    bind 127.0.0.1\n}\n. {\n}', code: 'COREFILE_KEY', line: 4, col: 1, message: 'cannot serve dns://.:53 - zone overlap listener capacity with dns://.:53 on 127.0.0.1 (at Corefile:1:1)' },
  { name: 'bound after unbound', input: 'example.org {\n}\nexample.org {\n    bind 127.0.0.1 {\n        except ::1\n    }\n}', code: 'COREFILE_KEY', line: 3, col: 1, message: 'cannot serve dns://example.org.:53 on 127.0.0.1 - zone overlap listener capacity with dns://example.org.:53 (at Corefile:1:1)' },
  { name: 'bad key from env', input: '. {\n}\n{$ZONE}:99999 {\n}', code: 'COREFILE_KEY', line: 3, col: 1, message: "invalid port 99999 in 'example.org:99999'" },
  // snippets and imports
  { name: 'snippet without braces', input: '(snip)\nwhoami', code: 'COREFILE_SYNTAX', line: 2, col: 1, message: "unexpected token 'whoami', expecting '{' after snippet '(snip)'" },
  { name: "snippet ended by '}'", input: '(snip)\n}', code: 'COREFILE_SYNTAX', line: 2, col: 1, message: "unexpected token '}', expecting '{' after snippet '(snip)'" },
  { name: 'snippet at EOF', input: '(snip)', code: 'COREFILE_SYNTAX', line: 1, col: 1, message: "unexpected EOF, expecting '{'" },
  { name: 'snippet redeclared', input: '(s) {\n    log\n}\n(s) {\n    errors\n}', code: 'COREFILE_IMPORT', line: 4, col: 1, message: 'redeclaration of previously declared snippet s (at Corefile:1:1)' },
  { name: 'snippet with another key', input: 'b.example (a) {\n}', code: 'COREFILE_IMPORT', line: 1, col: 11, message: "snippet '(a)' must be the only key of its block" },
  { name: 'import without argument', input: '. {\n    import\n}', code: 'COREFILE_IMPORT', line: 2, col: 5, message: "wrong argument count or unexpected line ending after 'import'" },
  { name: 'import with two arguments', input: '. {\n    import a b\n}', code: 'COREFILE_IMPORT', line: 2, col: 14, message: "import takes only one argument (glob pattern or file), found 'b'" },
  { name: 'import with a block', input: '. {\n    import a {\n    }\n}', code: 'COREFILE_IMPORT', line: 2, col: 14, message: 'import takes only one argument' },
  { name: 'import of ""', input: '. {\n    import ""\n}', code: 'COREFILE_IMPORT', line: 2, col: 12, message: 'import requires a non-empty filepath' },
  { name: 'import of an unset variable', input: 'import {$NOPE}', code: 'COREFILE_IMPORT', line: 1, col: 8, message: 'import requires a non-empty filepath' },
  { name: 'snippet importing itself', input: '(loop) {\n    import loop\n}\n. {\n    import loop\n}', code: 'COREFILE_IMPORT', line: 2, col: 12, message: 'import cycle: (loop) -> (loop)' },
  // caddy (parse.go) refuses a snippet importing itself where it is declared, used or not
  { name: 'unused snippet importing itself', input: '(loop) {\n    import loop\n}\n. {\n}', code: 'COREFILE_IMPORT', line: 2, col: 12, message: 'import cycle: (loop) -> (loop)' },
  { name: 'unused snippet importing itself in a block', input: '(loop) {\n    forward . 1.1.1.1 {\n        import\n        {$SELF}\n    }\n}', code: 'COREFILE_IMPORT', line: 4, col: 9, message: 'import cycle: (loop) -> (loop)' },
  { name: 'snippets importing each other', input: '(a) {\n import b\n}\n(b) {\n import a\n}\n. {\n import a\n}', code: 'COREFILE_IMPORT', line: 5, col: 9, message: 'import cycle: (a) -> (b) -> (a)' },
  { name: 'snippet used before its declaration', input: '. {\n    import later\n}\n(later) {\n    log\n}', code: 'COREFILE_IMPORT', line: 2, col: 12, message: 'file to import not found: later' },
  { name: "'import' from env in key position", input: '{$IMPORT} nope.conf', code: 'COREFILE_IMPORT', line: 1, col: 11, message: 'file to import not found: nope.conf' },
  { name: 'glob with two wildcards', input: 'import */*.conf', code: 'COREFILE_IMPORT', line: 1, col: 8, message: 'glob pattern may only contain one wildcard (*), but has others' },
  { name: 'glob with a class', input: 'import /[a-z]', code: 'COREFILE_IMPORT', line: 1, col: 8, message: 'glob pattern may only contain one wildcard' },
]

describe('invalid Corefiles', () => {
  for (const c of INVALID) {
    test(c.name, () => {
      const [first] = errorsOf(() => load(c.input, { ZONE: 'example.org', SELF: 'loop', IMPORT: 'import' }))
      assert.ok(first)
      assert.deepEqual(
        { code: first.code, line: first.line, col: first.col },
        { code: c.code, line: c.line, col: c.col },
      )
      assert.ok(
        first.message.includes(c.message),
        `${first.message}\n  should include: ${c.message}`,
      )
      assert.equal(first.file, 'Corefile')
    })
  }
})

describe('errors', () => {
  test('every syntax error is reported, in order', () => {
    const text = '. {\n    whoami }\n    log\n}\na, {\n}\nb.example { log }\n'
    const errors = errorsOf(() => load(text))
    assert.deepEqual(
      errors.map((e) => [e.line, e.col]),
      [
        [2, 12],
        [5, 4],
        [7, 17],
      ],
    )
  })

  test('every bad key is reported', () => {
    const errors = errorsOf(() => load('a..b grpc://x {\n}\n.: {\n}'))
    assert.deepEqual(
      errors.map((e) => e.code),
      ['COREFILE_KEY', 'COREFILE_UNSUPPORTED', 'COREFILE_KEY'],
    )
  })

  test('render shows the line and a caret under the token', () => {
    const text = '. {\n    forward . 1.2.3.4\n    cache 30 {\n        success 10 } }\n}\n'
    const [e] = errorsOf(() => load(text))
    assert.equal(
      e!.render(text),
      [
        "Corefile:4:22 - unexpected '}' because no matching opening brace (a server block's '}' starts its line)",
        ' 4 |         success 10 } }',
        '   |                      ^',
      ].join('\n'),
    )
  })

  test('render spans the whole token and keeps tabs', () => {
    const text = '.:53 {\n\tcache 30 example.org\n}\nexample.org .:53 {\n\twhoami\n}\n'
    const [e] = errorsOf(() => load(text))
    assert.equal(
      e!.render(text).split('\n').slice(1).join('\n'),
      ' 4 | example.org .:53 {\n   |             ^^^^',
    )
    const tabbed = new CorefileError(
      'COREFILE_VALUE',
      { file: 'F', line: 2, col: 11, length: 11 },
      'x',
      'cache',
    )
    assert.equal(tabbed.render(text).split('\n')[2], '   | \t         ^^^^^^^^^^^')
    assert.equal(tabbed.message, 'F:2:11 - plugin/cache: x')
  })
})

describe('loadCorefile', () => {
  test('listen keys per block, default port and CIDR expansion', () => {
    const loaded = loadCorefile(
      { file: 'Corefile', text: 'example.ORG 10.0.0.0/15:1053 {\n}\n.:5353 {\n}\n' },
      { env: {}, defaultPort: 1053 + 1 },
    )
    assert.deepEqual(
      loaded.listenKeys.map((keys) =>
        keys.map((k) => `${k.transport}://${k.zone}:${k.port}@${k.token.col}`),
      ),
      [
        [
          'dns://example.org.:1054@1',
          'dns://0.10.in-addr.arpa.:1053@13',
          'dns://1.10.in-addr.arpa.:1053@13',
        ],
        ['dns://.:5353@1'],
      ],
    )
  })

  test("a zone outside RFC 1035's preferred syntax is served with CoreDNS's warning", () => {
    const loaded = load('.:53 {errors\n    whoami\n}\n_dns.example.org 10.0.0.0/8 in-addr.arpa {\n}\n')
    assert.deepEqual(loaded.listenKeys.flat().map((k) => k.zone).slice(0, 3), ['.', '{errors.', '_dns.example.org.'])
    assert.deepEqual(
      loaded.warnings.map((w) => [w.line, w.col, w.detail]),
      [
        [1, 6, 'Domain "{errors." does not follow RFC1035 preferred syntax; a \'{\' or \'}\' opens or closes a block only as a word of its own'],
        [4, 1, 'Domain "_dns.example.org." does not follow RFC1035 preferred syntax'],
      ],
    )
  })

  test('sources hold the text positions refer to (without BOM)', () => {
    const loaded = load('\uFEFF. {\n}\n')
    assert.deepEqual([...loaded.sources], [['Corefile', '. {\n}\n']])
  })

  test('a block whose keys are all empty is dropped with a warning', () => {
    const loaded = load('{$NOPE} {\n    whoami\n}\n. {\n}\n')
    assert.equal(summary(loaded.blocks), '. { }')
    assert.deepEqual(
      loaded.warnings.map((w) => [w.code, w.line, w.detail]),
      [['COREFILE_KEY', 1, 'server block without keys is ignored']],
    )
  })

  test("a '{' where keys start opens a block without keys, dropped with a warning", () => {
    const loaded = load('. {\n} {\n    whoami\n}\n')
    assert.equal(summary(loaded.blocks), '. { }')
    assert.deepEqual(
      loaded.warnings.map((w) => [w.code, w.line, w.col, w.detail]),
      [['COREFILE_KEY', 2, 3, 'server block without keys is ignored']],
    )
  })

  test("a '}' where keys start is a key, as caddy reads it", () => {
    const loaded = load('. {\n}\n} a.example {\n}\n')
    assert.deepEqual(
      loaded.blocks.map((b) => b.keys.map((k) => `${k.text}@${k.line}:${k.col}`)),
      [['.@1:1'], ['}@3:1', 'a.example@3:3']],
    )
  })

  test('tokens keep their positions', () => {
    const { blocks } = load('example.org {\n    forward . "1.2.3.4"\n}\n')
    const [name, ...args] = [blocks[0]!.directives[0]!.name, ...blocks[0]!.directives[0]!.args]
    assert.deepEqual(name, { text: 'forward', file: 'Corefile', line: 2, col: 5, length: 7 })
    assert.deepEqual(
      args.map((a) => [a.text, a.col, a.length]),
      [
        ['.', 13, 1],
        ['1.2.3.4', 15, 9],
      ],
    )
  })

  test('env defaults to process.env', () => {
    process.env['TSDNS_COREFILE_TEST_ZONE'] = 'from-env.example'
    const { blocks } = loadCorefile({ file: 'Corefile', text: '{$TSDNS_COREFILE_TEST_ZONE} {\n}' })
    delete process.env['TSDNS_COREFILE_TEST_ZONE']
    assert.equal(blocks[0]!.keys[0]!.text, 'from-env.example')
  })

  test('loadCorefileFile names tokens after the path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsdns-load-'))
    const file = path.join(dir, 'Corefile')
    writeFileSync(file, '. {\n    whoami\n}\n')
    const loaded = loadCorefileFile(file, { env: {} })
    rmSync(dir, { recursive: true })
    assert.equal(loaded.blocks[0]!.directives[0]!.name.file, file)
    assert.equal(loaded.sources.get(file), '. {\n    whoami\n}\n')
  })

  test('one zone and port in several blocks, each on its own bind addresses (AKS LocalDNS)', () => {
    const text = [
      'health.example {\n    bind 127.0.0.20 127.0.0.21\n}',
      '. {\n    bind 127.0.0.20\n}',
      '. {\n    bind 127.0.0.21 127.0.0.20 {\n        except 127.0.0.20\n    }\n}',
      '.:1053 {\n}',
    ].join('\n')
    const { listenKeys } = load(text)
    assert.deepEqual(
      listenKeys.map((keys) => keys.map((k) => `${k.zone}:${k.port}`)),
      [['health.example.:53'], ['.:53'], ['.:53'], ['.:1053']],
    )
  })
})
